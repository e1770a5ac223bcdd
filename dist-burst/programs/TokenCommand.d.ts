import { Effect } from "effect";
/**
 * `node dist/main.js token new`: prints a fresh access token on the first line of stdout and the
 * configuration line holding its salted hash on the second (`ACCESS_KEYS=s1:…`; to allow several tokens,
 * join their hashes with commas). A hint goes to stderr, so `| head -1` gives the bare token. Nothing is
 * logged: the token is shown once, to whoever ran the command.
 */
export declare const TokenCommand: Effect.Effect<void>;
