import { Console, Effect } from "effect";
import { hashToken, newToken } from "../services/AccessKeys.js";
/**
 * `node dist/main.js token new`: prints a fresh access token on the first line of stdout and the
 * configuration line holding its salted hash on the second (`ACCESS_KEYS=s1:…`; to allow several tokens,
 * join their hashes with commas). A hint goes to stderr, so `| head -1` gives the bare token. Nothing is
 * logged: the token is shown once, to whoever ran the command.
 */
export const TokenCommand = Effect.gen(function* () {
    const token = newToken();
    yield* Console.log(token);
    yield* Console.log(`ACCESS_KEYS=${hashToken(token)}`);
    yield* Console.error("# give the token to the client: DoH https://<host>/dns-query/<token>, DoT SNI <token>.<host>; " +
        "add the ACCESS_KEYS hash to the server's configuration (comma-separated with any others)");
});
//# sourceMappingURL=TokenCommand.js.map