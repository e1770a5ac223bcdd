import {
  Cause,
  Config,
  ConfigError,
  ConfigProvider,
  Context,
  Data,
  Duration,
  Effect,
  Either,
  Layer,
  LogLevel,
  Option,
  Redacted
} from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import { withoutStack } from "./OperatorError.js"
import { parseUpstreamList, upstreamsFromResolvConf, type UpstreamSpec } from "./Upstream/Spec.js"

/** Where the served certificate comes from. */
export type TlsSource =
  | { readonly _tag: "Files"; readonly certPath: string; readonly keyPath: string }
  | { readonly _tag: "Inline"; readonly certKey: Redacted.Redacted<string> }
  | { readonly _tag: "SelfSigned" }

export type LogFormat = "pretty" | "json" | "logfmt"

/** The validated configuration of one server process (SPEC.md §2). */
export interface ServerConfigShape {
  readonly listenHost: string
  readonly dotPort: number
  readonly dohPort: number
  readonly healthPort: number
  readonly upstreams: ReadonlyArray<UpstreamSpec>
  /** socket idle timeout */
  readonly workerTimeout: Duration.Duration
  readonly tcpBacklog: number
  readonly shutdownTimeout: Duration.Duration
  readonly tls: TlsSource
  readonly dataDir: string
  readonly cacheSize: number
  readonly logLevel: LogLevel.LogLevel
  readonly logFormat: LogFormat
  /** `CERT_SERVICE_URL`: remote certificate service; requests go to `<url><epoch ms>` */
  readonly certServiceUrl: Option.Option<URL>
  /** `KDF_SVC`: hex key material of the remote certificate service (checked when the service starts) */
  readonly kdfSvc: Option.Option<Redacted.Redacted<string>>
  /** `HOST_IDENTIFIER`: the `who` sent to the certificate service */
  readonly hostIdentifier: string
  /** `CERT_RENEW_BEFORE`: how long before expiry renewal starts */
  readonly certRenewBefore: Duration.Duration
  /** `CERT_MAX_ATTEMPTS`: failed renewal attempts before falling back to hourly tries */
  readonly certMaxAttempts: number
  /** `TLS_PSK`: the PSK seed bytes (>= 32), enables TLS-PSK */
  readonly tlsPsk: Option.Option<Redacted.Redacted<Uint8Array>>
  /** `TOP_SECRET_512_B64`: fleet secret for session-ticket keys */
  readonly ticketSecret: Option.Option<Redacted.Redacted<Uint8Array>>
  /** `IMAGE_REF`: appended to the ticket-key context */
  readonly imageRef: string
  /** `TICKET_ROTATION`: ticket-key rotation period */
  readonly ticketRotation: Duration.Duration
  /** `MAXCONNS`, `MINCONNS`: bounds of the adaptive connection limit */
  readonly maxConns: number
  readonly minConns: number
}

export class ServerConfig extends Context.Tag("vigil/ServerConfig")<ServerConfig, ServerConfigShape>() {
  /** A config from values (for tests and embedding); unspecified fields take the defaults. */
  static readonly layer = (overrides: Partial<ServerConfigShape> = {}): Layer.Layer<ServerConfig> =>
    Layer.succeed(ServerConfig, { ...defaults(), ...overrides })
}

/** TLS handshake timeout: `max(WORKER_TIMEOUT / 2, 3000)` ms. */
export const handshakeTimeoutMs = (c: ServerConfigShape): number =>
  Math.max(Math.floor(Duration.toMillis(c.workerTimeout) / 2), 3000)

/** Per-query deadline: `clamp(WORKER_TIMEOUT, 4000, 30000)` ms. */
export const queryDeadlineMs = (c: ServerConfigShape): number =>
  Math.min(Math.max(Duration.toMillis(c.workerTimeout), 4000), 30000)

const DEFAULT_UPSTREAM = "udp://1.1.1.1:53"

const defaults = (): ServerConfigShape => ({
  listenHost: "::",
  dotPort: 10000,
  dohPort: 8080,
  healthPort: 8888,
  upstreams: Either.getOrThrow(parseUpstreamList(DEFAULT_UPSTREAM)),
  workerTimeout: Duration.millis(10000),
  tcpBacklog: 600,
  shutdownTimeout: Duration.millis(15000),
  tls: { _tag: "SelfSigned" },
  dataDir: "./.vigil",
  cacheSize: 30000,
  logLevel: LogLevel.Info,
  logFormat: "pretty",
  certServiceUrl: Option.none(),
  kdfSvc: Option.none(),
  hostIdentifier: os.hostname(),
  certRenewBefore: Duration.days(1),
  certMaxAttempts: 20,
  tlsPsk: Option.none(),
  ticketSecret: Option.none(),
  imageRef: "",
  ticketRotation: Duration.days(7),
  maxConns: 1000,
  minConns: 50
})

/** Every invalid or missing variable, reported together. */
export class ServerConfigError extends Data.TaggedError("ServerConfigError")<{
  readonly problems: ReadonlyArray<string>
}> {
  constructor(args: { readonly problems: ReadonlyArray<string> }) {
    super(args)
    withoutStack(this)
  }

  override get message() {
    return `invalid configuration (${this.problems.length} problem${this.problems.length === 1 ? "" : "s"}):\n` +
      this.problems.map((p) => `  - ${p}`).join("\n")
  }
}

const millis = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "expected a whole number of milliseconds >= 0", validation: (n) => n >= 0 }),
    Config.withDefault(fallback),
    Config.map(Duration.millis)
  )

const positiveInt = (name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  Config.integer(name).pipe(
    Config.validate({
      message: `expected a whole number from ${min} to ${max}`,
      validation: (n) => n >= min && n <= max
    }),
    Config.withDefault(fallback)
  )

/** A duration such as `1 day`, `36 hours`, `90 minutes` or a number of milliseconds. */
const duration = (name: string, fallback: Duration.Duration) =>
  Config.string(name).pipe(
    Config.mapOrFail((raw) => {
      const t = raw.trim()
      const d = /^\d+$/.test(t) ? Option.some(Duration.millis(Number(t))) : Duration.decodeUnknown(t)
      return Option.match(d, {
        onNone: () =>
          Either.left(
            ConfigError.InvalidData(
              [name],
              `expected a duration like "1 day", "12 hours" or "90 minutes", got "${raw}"`
            )
          ),
        onSome: (v) =>
          Duration.greaterThan(v, Duration.zero)
            ? Either.right(v)
            : Either.left(ConfigError.InvalidData([name], "must be longer than zero"))
      })
    }),
    Config.withDefault(fallback)
  )

const decodeHexOrBase64 = (s: string): Uint8Array | undefined =>
  /^([0-9a-fA-F]{2})+$/.test(s) ? Buffer.from(s, "hex") : decodeBase64(s)

const decodeBase64 = (s: string): Uint8Array | undefined =>
  /^[A-Za-z0-9+/_-]+={0,2}$/.test(s) ? Buffer.from(s, "base64") : undefined

/** A secret given as text, decoded to bytes and checked for length; never echoed in an error. */
const secretBytes = (
  name: string,
  encoding: string,
  decode: (s: string) => Uint8Array | undefined,
  minBytes: number
) =>
  Config.option(
    Config.redacted(name).pipe(
      Config.mapOrFail((secret) => {
        const bytes = decode(Redacted.value(secret).trim())
        if (bytes === undefined) return Either.left(ConfigError.InvalidData([name], `is not ${encoding}`))
        if (bytes.length < minBytes) {
          return Either.left(
            ConfigError.InvalidData([name], `must decode to at least ${minBytes} bytes, got ${bytes.length}`)
          )
        }
        return Either.right(Redacted.make(bytes))
      })
    )
  )

const port = (name: string, fallback: number) => Config.port(name).pipe(Config.withDefault(fallback))

const resolvConfDefault = (path: string): string => {
  try {
    const list = upstreamsFromResolvConf(fs.readFileSync(path, "utf8"))
    return list.length > 0 ? list.join(",") : DEFAULT_UPSTREAM
  } catch {
    return DEFAULT_UPSTREAM
  }
}

const upstreams = (resolvConf: string) =>
  Config.string("UPSTREAM").pipe(
    Config.option,
    Config.mapOrFail((o) => {
      const raw = Option.getOrElse(o, () => resolvConfDefault(resolvConf))
      return Either.mapLeft(parseUpstreamList(raw), (e) => ConfigError.InvalidData(["UPSTREAM"], e))
    })
  )

const tlsSource = Config.all({
  certPath: Config.option(Config.nonEmptyString("TLS_CERT_PATH")),
  keyPath: Config.option(Config.nonEmptyString("TLS_KEY_PATH")),
  certKey: Config.option(Config.redacted("TLS_CERTKEY"))
}).pipe(
  Config.mapOrFail(({ certKey, certPath, keyPath }): Either.Either<TlsSource, ConfigError.ConfigError> => {
    if (Option.isSome(certPath) && Option.isSome(keyPath)) {
      return Either.right({ _tag: "Files", certPath: certPath.value, keyPath: keyPath.value })
    }
    if (Option.isSome(certPath) || Option.isSome(keyPath)) {
      const missing = Option.isSome(certPath) ? "TLS_KEY_PATH" : "TLS_CERT_PATH"
      return Either.left(
        ConfigError.InvalidData([missing], "must be set together with the other of TLS_CERT_PATH/TLS_KEY_PATH")
      )
    }
    if (Option.isSome(certKey)) return Either.right({ _tag: "Inline", certKey: certKey.value })
    return Either.right({ _tag: "SelfSigned" })
  })
)

const logFormat = Config.literal("pretty", "json", "logfmt")("LOG_FORMAT").pipe(Config.withDefault("pretty" as const))

/** The Config description of every variable; `resolvConf` is where the default upstreams come from. */
export const serverConfig = (resolvConf = "/etc/resolv.conf"): Config.Config<ServerConfigShape> =>
  Config.all({
    listenHost: Config.nonEmptyString("LISTEN_HOST").pipe(Config.withDefault("::")),
    dotPort: port("DOT_PORT", 10000),
    dohPort: port("DOH_PORT", 8080),
    healthPort: port("HEALTH_PORT", 8888),
    upstreams: upstreams(resolvConf),
    workerTimeout: millis("WORKER_TIMEOUT", 10000),
    tcpBacklog: positiveInt("TCP_BACKLOG", 600, 1, 65535),
    shutdownTimeout: millis("SHUTDOWN_TIMEOUT_MS", 15000),
    tls: tlsSource,
    dataDir: Config.nonEmptyString("DATA_DIR").pipe(Config.withDefault("./.vigil")),
    cacheSize: positiveInt("CACHE_SIZE", 30000, 0, 10_000_000),
    logLevel: Config.logLevel("EFFECT_LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
    logFormat,
    certServiceUrl: Config.option(
      Config.string("CERT_SERVICE_URL").pipe(
        Config.mapOrFail((raw) => {
          try {
            const url = new URL(raw)
            if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error()
            return Either.right(url)
          } catch {
            return Either.left(ConfigError.InvalidData(["CERT_SERVICE_URL"], `expected an http(s) URL, got "${raw}"`))
          }
        })
      )
    ),
    kdfSvc: Config.option(Config.redacted("KDF_SVC")),
    hostIdentifier: Config.nonEmptyString("HOST_IDENTIFIER").pipe(Config.withDefault(os.hostname())),
    certRenewBefore: duration("CERT_RENEW_BEFORE", Duration.days(1)),
    certMaxAttempts: positiveInt("CERT_MAX_ATTEMPTS", 20, 1, 1000),
    tlsPsk: secretBytes("TLS_PSK", "hex or base64", decodeHexOrBase64, 32),
    ticketSecret: secretBytes("TOP_SECRET_512_B64", "base64", decodeBase64, 32),
    imageRef: Config.string("IMAGE_REF").pipe(Config.withDefault("")),
    ticketRotation: duration("TICKET_ROTATION", Duration.days(7)),
    maxConns: positiveInt("MAXCONNS", 1000, 1, 1_000_000),
    minConns: positiveInt("MINCONNS", 50, 1, 1_000_000)
  }).pipe(
    Config.validate({
      message: "MINCONNS: must not be above MAXCONNS",
      validation: (c) => c.minConns <= c.maxConns
    })
  )

/** Flattens a ConfigError into one line per variable. */
export const describeConfigError = (error: ConfigError.ConfigError): ReadonlyArray<string> => {
  const out: Array<string> = []
  // a check inside a named Config may repeat the name in the path: "X.X" is "X"
  const name = (path: ReadonlyArray<string>) => path.filter((seg, i) => seg !== path[i - 1]).join(".") || "?"
  const walk = (e: ConfigError.ConfigError): void => {
    switch (e._op) {
      case "And":
      case "Or":
        walk(e.left)
        walk(e.right)
        return
      case "MissingData":
        out.push(`${name(e.path)}: ${e.message}`)
        return
      case "InvalidData":
        out.push(`${name(e.path)}: ${e.message}`)
        return
      case "SourceUnavailable":
        out.push(`${name(e.path)}: ${e.message} (${Cause.pretty(e.cause)})`)
        return
      case "Unsupported":
        out.push(`${name(e.path)}: ${e.message}`)
        return
    }
  }
  walk(error)
  return [...new Set(out)]
}

/** Reads and validates the configuration once from the given provider. */
export const loadServerConfig = (
  provider: ConfigProvider.ConfigProvider,
  resolvConf?: string
): Effect.Effect<ServerConfigShape, ServerConfigError> =>
  Effect.withConfigProvider(serverConfig(resolvConf), provider).pipe(
    Effect.mapError((e) => new ServerConfigError({ problems: describeConfigError(e) }))
  )

/** The configuration from the process environment, read once. */
export const ServerConfigLive: Layer.Layer<ServerConfig, ServerConfigError> = Layer.effect(
  ServerConfig,
  loadServerConfig(ConfigProvider.fromEnv())
)
