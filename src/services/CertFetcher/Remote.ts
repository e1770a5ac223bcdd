/**
 * The remote certificate service (PROTOCOLS.md §1): `GET <CERT_SERVICE_URL><now>` signed with an HMAC of
 * the path, answered with the hex of an AES-256-GCM sealed `KEY=`/`CRT=` text whose AAD binds the
 * answer to this host, this request's path and the request's UTC date.
 *
 * Every failure is a `CertError` (`Http`, `Timeout`, `Parse`, `Decrypt`, `KeyMismatch`) whose detail never
 * holds key material, `KDF_SVC` or the response body.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type { HttpClientError } from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Duration, Effect, Either, type Layer, Option, Redacted, Stream } from "effect"
import type { CertFetcherShape } from "../CertFetcher.js"
import {
  aesGcmOpen,
  type CertServiceKeys,
  certServiceKeys,
  fromHex,
  GCM_IV_BYTES,
  GCM_TAG_BYTES,
  hmacSha256,
  toHex
} from "../Crypto.js"
import { ServerConfig } from "../ServerConfig.js"
import { CertError, parseKeyCrtLines } from "./Pem.js"

/** Header carrying hex(HMAC-SHA256(mackey, pathname)). */
export const AUTHZ_HEADER = "x-rethinkdns-xsvc-authz"
/** Header carrying `HOST_IDENTIFIER`. */
export const WHO_HEADER = "x-rethinkdns-xsvc-who"
/** Largest response body read (a chain and key, base64 then hex, are a few tens of KiB). */
export const MAX_BODY_BYTES = 1024 * 1024

/** `<base><now>`: the epoch milliseconds appended to the configured URL as text. */
export const requestUrl = (base: URL, now: number): URL => new URL(`${base.href}${now}`)

/** `D/M/Y` of an instant: UTC day of week (0–6), UTC month (0-based), UTC full year. */
export const aadDate = (epochMs: number): string => {
  const d = new Date(epochMs)
  return `${d.getUTCDay()}/${d.getUTCMonth()}/${d.getUTCFullYear()}`
}

/** The AAD of a response: `who/D/M/Y/hostname/pathname/GET` (the pathname starts with `/`). */
export const certServiceAad = (who: string, url: URL, dateMs: number): string =>
  `${who}/${aadDate(dateMs)}/${url.hostname}/${url.pathname}/GET`

/** The authz header value: hex(HMAC-SHA256(mackey, UTF-8 of the pathname)). */
export const certServiceAuthz = (macKey: Uint8Array, pathname: string): string => toHex(hmacSha256(macKey, pathname))

/**
 * Opens a response body (hex of iv ‖ ciphertext ‖ tag) with the AAD of `dateMs`. Left: `Parse` when the
 * body is not hex or too short, `Decrypt` when authentication fails.
 */
export const openResponse = (
  body: string,
  aesKey: Uint8Array,
  aad: string
): Either.Either<Uint8Array, { readonly reason: "Parse" | "Decrypt"; readonly detail: string }> => {
  const text = body.trim()
  if (text === "") return Either.left({ reason: "Parse", detail: "empty response body" })
  const raw = fromHex(text)
  if (raw === undefined) return Either.left({ reason: "Parse", detail: "response body is not hex" })
  if (raw.length < GCM_IV_BYTES + GCM_TAG_BYTES) {
    return Either.left({ reason: "Parse", detail: `response body too short (${raw.length} bytes)` })
  }
  const iv = raw.subarray(0, GCM_IV_BYTES)
  const ciphertext = raw.subarray(GCM_IV_BYTES, raw.length - GCM_TAG_BYTES)
  const tag = raw.subarray(raw.length - GCM_TAG_BYTES)
  return Either.mapLeft(aesGcmOpen(aesKey, iv, ciphertext, tag, aad), (why) => ({ reason: "Decrypt", detail: why }))
}

export interface RemoteFetcherOptions {
  /** `CERT_SERVICE_URL` (http or https); requests go to `<url><epoch ms>` */
  readonly url: URL
  /** from `certServiceKeys(KDF_SVC)` */
  readonly keys: CertServiceKeys
  /** `HOST_IDENTIFIER` */
  readonly who: string
  /** `WORKER_TIMEOUT`: limit on the whole exchange (request, body, decryption) */
  readonly timeout: Duration.DurationInput
}

const causeText = (e: unknown): string => {
  if (!(e instanceof Error)) return ""
  const inner = e.cause instanceof Error ? `: ${e.cause.message}` : ""
  return `${e.message}${inner}`
}

const describeHttpError = (e: HttpClientError): string => {
  if (e._tag === "RequestError") {
    const why = e.description ?? causeText(e.cause)
    return why === "" ? `request failed (${e.reason})` : `request failed (${e.reason}): ${why}`
  }
  return `response failed (${e.reason}, status ${e.response.status})`
}

/** The body as text, at most `MAX_BODY_BYTES`. */
const readBody = (response: HttpClientResponse.HttpClientResponse, fail: (detail: string) => CertError) =>
  Stream.runFoldEffect(
    response.stream,
    { size: 0, chunks: [] as Array<Uint8Array> },
    (acc, chunk) => {
      const size = acc.size + chunk.length
      if (size > MAX_BODY_BYTES) return Effect.fail(fail(`response body over ${MAX_BODY_BYTES} bytes`))
      acc.chunks.push(chunk)
      return Effect.succeed({ size, chunks: acc.chunks })
    }
  ).pipe(
    Effect.mapError((e) => (e instanceof CertError ? e : fail(`reading the response body: ${describeHttpError(e)}`))),
    Effect.map(({ chunks }) => Buffer.concat(chunks).toString("utf8"))
  )

/** A fetcher of the remote certificate service over the given HTTP client. */
export const remoteFetcher = (client: HttpClient.HttpClient, options: RemoteFetcherOptions): CertFetcherShape => {
  const { keys, who } = options
  const base = options.url
  // never the URL's user info
  const source = `certificate service ${base.origin}${base.pathname}`
  const timeout = Duration.decode(options.timeout)
  const http = client.pipe(HttpClient.withTracerPropagation(false))
  const fail = (reason: CertError["reason"], detail: string) => new CertError({ source, reason, detail })

  const exchange = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const url = requestUrl(base, now)
    const where = `GET ${url.origin}${url.pathname}`
    yield* Effect.logDebug(`${where} as ${who}`)
    const request = HttpClientRequest.get(url, {
      headers: { [AUTHZ_HEADER]: certServiceAuthz(keys.macKey, url.pathname), [WHO_HEADER]: who }
    })
    const response = yield* http.execute(request).pipe(
      Effect.mapError((e) => fail("Http", `${where}: ${describeHttpError(e)}`))
    )
    if (response.status < 200 || response.status > 299) {
      // drain a little so the connection can be reused; the body itself is never reported
      yield* Effect.ignore(readBody(response, (d) => fail("Http", d)))
      return yield* fail("Http", `${where} answered status ${response.status}`)
    }
    const body = yield* readBody(response, (d) => fail("Http", `${where}: ${d}`))

    const requestDate = aadDate(now)
    const first = openResponse(body, keys.aesKey, certServiceAad(who, url, now))
    let plaintext: Uint8Array
    if (Either.isRight(first)) {
      plaintext = first.right
    } else if (first.left.reason === "Parse") {
      return yield* fail("Parse", `${where}: ${first.left.detail}`)
    } else {
      // the original service takes D/M/Y at its own time: an exchange across UTC midnight is sealed
      // with the next day's date, so try the date of now once
      const later = yield* Clock.currentTimeMillis
      const laterDate = aadDate(later)
      if (laterDate === requestDate) {
        return yield* fail("Decrypt", `${where}: ${first.left.detail} (AAD date ${requestDate})`)
      }
      const second = openResponse(body, keys.aesKey, certServiceAad(who, url, later))
      if (Either.isLeft(second)) {
        return yield* fail(
          "Decrypt",
          `${where}: ${second.left.detail} (AAD dates ${requestDate} and ${laterDate})`
        )
      }
      yield* Effect.logInfo(`${where}: opened with the date of now (${laterDate}), not of the request (${requestDate})`)
      plaintext = second.right
    }
    const pair = yield* parseKeyCrtLines(new TextDecoder().decode(plaintext), source)
    yield* Effect.logDebug(
      `${where}: certificate ${pair.fingerprint} for ${pair.subject}, until ${pair.notAfter.toISOString()}`
    )
    return pair
  })

  const fetch = exchange.pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => fail("Timeout", `no complete answer within ${Duration.format(timeout)}`)
    }),
    Effect.withSpan("CertFetcher.fetch", { attributes: { source: "remote" } }),
    Effect.annotateLogs({ service: "CertFetcher" })
  )
  // no change notifications: the renewal schedule asks again
  return { describe: source, initial: fetch, fetch, changes: Stream.never }
}

/** `remoteFetcher` over the `HttpClient` of the context. */
export const makeRemoteFetcher = (
  options: RemoteFetcherOptions
): Effect.Effect<CertFetcherShape, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (client) => remoteFetcher(client, options))

/**
 * The remote fetcher the configuration asks for, or None — with one log line saying why — when
 * `CERT_SERVICE_URL` is unset (info) or `KDF_SVC` is missing, not hex or shorter than 32 bytes (warning).
 */
export const remoteFetcherFromConfig: Effect.Effect<
  Option.Option<CertFetcherShape>,
  never,
  ServerConfig | HttpClient.HttpClient
> = Effect.gen(function*() {
  const config = yield* ServerConfig
  if (Option.isNone(config.certServiceUrl)) {
    yield* Effect.logInfo("remote certificate renewal is off: CERT_SERVICE_URL is not set")
    return Option.none()
  }
  const url = config.certServiceUrl.value
  const keys = certServiceKeys(Option.getOrUndefined(Option.map(config.kdfSvc, Redacted.value)))
  if (Either.isLeft(keys)) {
    yield* Effect.logWarning(
      `remote certificate renewal is off: ${keys.left} (CERT_SERVICE_URL is ${url.origin}${url.pathname})`
    )
    return Option.none()
  }
  const fetcher = yield* makeRemoteFetcher({
    url,
    keys: keys.right,
    who: config.hostIdentifier,
    timeout: config.workerTimeout
  })
  return Option.some(fetcher)
}).pipe(Effect.annotateLogs({ service: "CertFetcher" }))

/** The HTTP client of the live server (node:http/node:https agents, closed with the layer). */
export const RemoteHttpClientLive: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layer
