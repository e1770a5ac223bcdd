/**
 * The remote certificate service (PROTOCOLS.md §1): `GET <CERT_SERVICE_URL><now>` signed with an HMAC of
 * the path, answered with the hex of an AES-256-GCM sealed `KEY=`/`CRT=` text whose AAD binds the
 * answer to this host, this request's path and the request's UTC date.
 *
 * Every failure is a `CertError` (`Http`, `Timeout`, `Parse`, `Decrypt`, `KeyMismatch`) whose detail never
 * holds key material, `KDF_SVC` or the response body.
 */
import { HttpClient } from "@effect/platform";
import { Duration, Effect, Either, type Layer, Option } from "effect";
import type { CertFetcherShape } from "../CertFetcher.js";
import { type CertServiceKeys } from "../Crypto.js";
import { ServerConfig } from "../ServerConfig.js";
/** Header carrying hex(HMAC-SHA256(mackey, pathname)). */
export declare const AUTHZ_HEADER = "x-rethinkdns-xsvc-authz";
/** Header carrying `HOST_IDENTIFIER`. */
export declare const WHO_HEADER = "x-rethinkdns-xsvc-who";
/** Largest response body read (a chain and key, base64 then hex, are a few tens of KiB). */
export declare const MAX_BODY_BYTES: number;
/** `<base><now>`: the epoch milliseconds appended to the configured URL as text. */
export declare const requestUrl: (base: URL, now: number) => URL;
/** `D/M/Y` of an instant: UTC day of week (0–6), UTC month (0-based), UTC full year. */
export declare const aadDate: (epochMs: number) => string;
/** The AAD of a response: `who/D/M/Y/hostname/pathname/GET` (the pathname starts with `/`). */
export declare const certServiceAad: (who: string, url: URL, dateMs: number) => string;
/** The authz header value: hex(HMAC-SHA256(mackey, UTF-8 of the pathname)). */
export declare const certServiceAuthz: (macKey: Uint8Array, pathname: string) => string;
/**
 * Opens a response body (hex of iv ‖ ciphertext ‖ tag) with the AAD of `dateMs`. Left: `Parse` when the
 * body is not hex or too short, `Decrypt` when authentication fails.
 */
export declare const openResponse: (body: string, aesKey: Uint8Array, aad: string) => Either.Either<Uint8Array, {
    readonly reason: "Parse" | "Decrypt";
    readonly detail: string;
}>;
export interface RemoteFetcherOptions {
    /** `CERT_SERVICE_URL` (http or https); requests go to `<url><epoch ms>` */
    readonly url: URL;
    /** from `certServiceKeys(KDF_SVC)` */
    readonly keys: CertServiceKeys;
    /** `HOST_IDENTIFIER` */
    readonly who: string;
    /** `WORKER_TIMEOUT`: limit on the whole exchange (request, body, decryption) */
    readonly timeout: Duration.DurationInput;
}
/** A fetcher of the remote certificate service over the given HTTP client. */
export declare const remoteFetcher: (client: HttpClient.HttpClient, options: RemoteFetcherOptions) => CertFetcherShape;
/** `remoteFetcher` over the `HttpClient` of the context. */
export declare const makeRemoteFetcher: (options: RemoteFetcherOptions) => Effect.Effect<CertFetcherShape, never, HttpClient.HttpClient>;
/**
 * The remote fetcher the configuration asks for, or None — with one log line saying why — when
 * `CERT_SERVICE_URL` is unset (info) or `KDF_SVC` is missing, not hex or shorter than 32 bytes (warning).
 */
export declare const remoteFetcherFromConfig: Effect.Effect<Option.Option<CertFetcherShape>, never, ServerConfig | HttpClient.HttpClient>;
/** The HTTP client of the live server (node:http/node:https agents, closed with the layer). */
export declare const RemoteHttpClientLive: Layer.Layer<HttpClient.HttpClient>;
