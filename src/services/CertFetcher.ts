import { Clock, Context, Effect, Layer, Redacted } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { CertError, type CertKeyPair, mintSelfSigned, parseCertKey, parseKeyCrtLines } from "./CertFetcher/Pem.js"
import { ServerConfig, type TlsSource } from "./ServerConfig.js"

export { CertError, type CertKeyPair } from "./CertFetcher/Pem.js"

/**
 * A source of certificates. `fetch` returns the newest certificate the source has (the certificate
 * store decides whether it replaces the one being served).
 */
export interface CertFetcherShape {
  readonly describe: string
  readonly fetch: Effect.Effect<CertKeyPair, CertError>
}

export class CertFetcher extends Context.Tag("vigil/CertFetcher")<CertFetcher, CertFetcherShape>() {
  static readonly layer = (source: TlsSource, dataDir: string): Layer.Layer<CertFetcher> =>
    Layer.succeed(CertFetcher, fromSource(source, dataDir))
}

/** The fetcher the configuration asks for. */
export const CertFetcherLive: Layer.Layer<CertFetcher, never, ServerConfig> = Layer.effect(
  CertFetcher,
  Effect.map(ServerConfig, (c) => fromSource(c.tls, c.dataDir))
)

const fromSource = (source: TlsSource, dataDir: string): CertFetcherShape => {
  switch (source._tag) {
    case "Files":
      return fromFiles(source.certPath, source.keyPath)
    case "Inline":
      return fromInline(source.certKey)
    case "SelfSigned":
      return selfSigned(dataDir)
  }
}

const read = (file: string, source: string) =>
  Effect.tryPromise({
    try: () => fs.readFile(file, "utf8"),
    catch: (e) =>
      new CertError({ source, reason: "Read", detail: `${file}: ${(e as NodeJS.ErrnoException).code ?? "unreadable"}` })
  })

/** `TLS_CERT_PATH` + `TLS_KEY_PATH`: read on every fetch, so a changed file is picked up. */
export const fromFiles = (certPath: string, keyPath: string): CertFetcherShape => {
  const source = `files ${certPath} + ${keyPath}`
  return {
    describe: source,
    fetch: Effect.all([read(certPath, source), read(keyPath, source)]).pipe(
      Effect.flatMap(([cert, key]) => parseCertKey(cert, key, source)),
      Effect.withSpan("CertFetcher.fetch", { attributes: { source: "files" } })
    )
  }
}

/** `TLS_CERTKEY`: `KEY=`/`CRT=` lines of base64 PEM. */
export const fromInline = (certKey: Redacted.Redacted<string>): CertFetcherShape => ({
  describe: "TLS_CERTKEY",
  fetch: Effect.suspend(() => parseKeyCrtLines(Redacted.value(certKey), "TLS_CERTKEY"))
})

/** Days a generated self-signed certificate is valid for. */
export const SELF_SIGNED_DAYS = 90
/** A stored self-signed certificate with less than this left is replaced at start. */
const SELF_SIGNED_REUSE_MIN_MS = 86_400_000

/**
 * The embedded default: a self-signed ECDSA P-256 certificate for localhost, kept in `DATA_DIR`
 * (`selfsigned.crt`, `selfsigned.key`, mode 0600) and reused while it has more than a day left;
 * otherwise a new one is minted and stored.
 */
export const selfSigned = (dataDir: string): CertFetcherShape => {
  const certFile = path.join(dataDir, "selfsigned.crt")
  const keyFile = path.join(dataDir, "selfsigned.key")
  const source = `self-signed (${certFile})`
  const reuse = Effect.all([read(certFile, source), read(keyFile, source)]).pipe(
    Effect.flatMap(([c, k]) => parseCertKey(c, k, source)),
    Effect.option
  )
  const mint = (now: number) =>
    Effect.tryPromise({
      try: () => mintSelfSigned(new Date(now), SELF_SIGNED_DAYS),
      catch: (e) => new CertError({ source, reason: "Generate", detail: String(e) })
    }).pipe(
      Effect.tap(({ certPem, keyPem }) =>
        Effect.tryPromise({
          try: async () => {
            await fs.mkdir(dataDir, { recursive: true, mode: 0o700 })
            await fs.writeFile(keyFile, keyPem, { mode: 0o600 })
            await fs.writeFile(certFile, certPem, { mode: 0o644 })
          },
          catch: (e) =>
            new CertError({
              source,
              reason: "Write",
              detail: `${dataDir}: ${(e as NodeJS.ErrnoException).code ?? "unwritable"}`
            })
        })
      ),
      Effect.flatMap(({ certPem, keyPem }) => parseCertKey(certPem, keyPem, source)),
      Effect.tap(() =>
        Effect.logInfo(`generated a self-signed certificate for localhost, 127.0.0.1, ::1 in ${dataDir}`)
      )
    )
  return {
    describe: source,
    fetch: Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const stored = yield* reuse
      if (stored._tag === "Some" && stored.value.notAfter.getTime() - now > SELF_SIGNED_REUSE_MIN_MS) {
        return stored.value
      }
      return yield* mint(now)
    }).pipe(Effect.annotateLogs({ service: "CertFetcher" }))
  }
}
