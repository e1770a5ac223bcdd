import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, LogLevel, Option, Redacted } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import {
  handshakeTimeoutMs,
  loadServerConfig,
  queryDeadlineMs,
  type ServerConfigShape
} from "../../src/services/ServerConfig.js"

const load = (env: Record<string, string>, resolvConf = "/nonexistent/resolv.conf") =>
  loadServerConfig(ConfigProvider.fromMap(new Map(Object.entries(env))), resolvConf)

describe("ServerConfig", () => {
  it.effect("has the SPEC defaults", () =>
    Effect.gen(function*() {
      const c = yield* load({})
      expect(c.listenHost).toBe("::")
      expect([c.dotPort, c.dohPort, c.healthPort]).toEqual([10000, 8080, 8888])
      expect(c.upstreams.map((u) => u.text)).toEqual(["udp://1.1.1.1:53"])
      expect(Duration.toMillis(c.workerTimeout)).toBe(10000)
      expect(c.tcpBacklog).toBe(600)
      expect(Duration.toMillis(c.shutdownTimeout)).toBe(15000)
      expect(c.tls).toEqual({ _tag: "SelfSigned" })
      expect(c.dataDir).toBe("./.vigil")
      expect(c.cacheSize).toBe(30000)
      expect(c.logLevel).toEqual(LogLevel.Info)
      expect(c.logFormat).toBe("pretty")
      expect(handshakeTimeoutMs(c)).toBe(5000)
      expect(queryDeadlineMs(c)).toBe(10000)
    }))

  it.effect("takes the default upstreams from resolv.conf nameservers", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-conf-"))
      const file = path.join(dir, "resolv.conf")
      fs.writeFileSync(file, "# comment\nsearch example\nnameserver 127.0.0.53\nnameserver ::1\noptions edns0\n")
      const c = yield* load({}, file)
      expect(c.upstreams).toEqual([
        { _tag: "udp", host: "127.0.0.53", port: 53, text: "udp://127.0.0.53:53" },
        { _tag: "udp", host: "::1", port: 53, text: "udp://[::1]:53" }
      ])
    }))

  it.effect("parses every upstream kind", () =>
    Effect.gen(function*() {
      const c = yield* load({
        UPSTREAM:
          "udp://127.0.0.1:5353, tcp://[::1], tls://127.0.0.1#dns.example, https://127.0.0.1:8443/dns-query, 127.0.0.2"
      })
      expect(c.upstreams.map((u) => u._tag)).toEqual(["udp", "tcp", "tls", "https", "udp"])
      expect(c.upstreams[1]).toMatchObject({ host: "::1", port: 53 })
      expect(c.upstreams[2]).toMatchObject({ host: "127.0.0.1", port: 853, servername: "dns.example" })
      expect(c.upstreams[4]).toMatchObject({ host: "127.0.0.2", port: 53 })
    }))

  it.effect("reads TLS sources and keeps TLS_CERTKEY redacted", () =>
    Effect.gen(function*() {
      const files = yield* load({ TLS_CERT_PATH: "/c.pem", TLS_KEY_PATH: "/k.pem" })
      expect(files.tls).toEqual({ _tag: "Files", certPath: "/c.pem", keyPath: "/k.pem" })
      const inline = yield* load({ TLS_CERTKEY: "KEY=c2VjcmV0\nCRT=eA==" })
      expect(inline.tls._tag).toBe("Inline")
      if (inline.tls._tag === "Inline") expect(Redacted.value(inline.tls.certKey)).toContain("KEY=")
      expect(String(inline.tls._tag === "Inline" ? inline.tls.certKey : "")).not.toContain("c2VjcmV0")
    }))

  it.effect("derives the handshake timeout and the query deadline from WORKER_TIMEOUT", () =>
    Effect.gen(function*() {
      const low = yield* load({ WORKER_TIMEOUT: "1000" })
      expect(handshakeTimeoutMs(low)).toBe(3000)
      expect(queryDeadlineMs(low)).toBe(4000)
      const high = yield* load({ WORKER_TIMEOUT: "60000" })
      expect(handshakeTimeoutMs(high)).toBe(30000)
      expect(queryDeadlineMs(high)).toBe(30000)
    }))

  it.effect("reports every bad variable together, each by name", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(load({
        DOT_PORT: "abc",
        DOH_PORT: "70000",
        UPSTREAM: "ftp://x, udp://127.0.0.1:53",
        WORKER_TIMEOUT: "-5",
        TCP_BACKLOG: "0",
        SHUTDOWN_TIMEOUT_MS: "soon",
        TLS_CERT_PATH: "/only/the/cert.pem",
        CACHE_SIZE: "-1",
        EFFECT_LOG_LEVEL: "loud",
        LOG_FORMAT: "xml"
      }))
      const vars = error.problems.map((p) => p.split(":")[0])
      expect(vars).toEqual(expect.arrayContaining([
        "DOT_PORT",
        "DOH_PORT",
        "UPSTREAM",
        "WORKER_TIMEOUT",
        "TCP_BACKLOG",
        "SHUTDOWN_TIMEOUT_MS",
        "TLS_KEY_PATH",
        "CACHE_SIZE",
        "EFFECT_LOG_LEVEL",
        "LOG_FORMAT"
      ]))
      expect(error.problems).toHaveLength(10)
      expect(error.message).toContain("UPSTREAM: \"ftp://x\": unknown scheme \"ftp\"")
    }))

  it.effect("never prints a secret in a config error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(load({ TLS_CERTKEY: "KEY=topsecretvalue", DOT_PORT: "x" }))
      expect(error.message).not.toContain("topsecretvalue")
    }))

  it.effect("reads the certificate, ticket and PSK variables", () =>
    Effect.gen(function*() {
      const c = yield* load({
        CERT_SERVICE_URL: "https://certs.example.net/x/crt/",
        KDF_SVC: "0a".repeat(32),
        HOST_IDENTIFIER: "edge-7",
        CERT_RENEW_BEFORE: "36 hours",
        CERT_MAX_ATTEMPTS: "5",
        TLS_PSK: "0b".repeat(32),
        TOP_SECRET_512_B64: Buffer.alloc(64, 7).toString("base64"),
        IMAGE_REF: "sha256:abc",
        TICKET_ROTATION: "1 day",
        MAXCONNS: "200",
        MINCONNS: "20"
      })
      expect(Option.map(c.certServiceUrl, String)).toEqual(Option.some("https://certs.example.net/x/crt/"))
      expect(c.hostIdentifier).toBe("edge-7")
      expect(Duration.toMillis(c.certRenewBefore)).toBe(36 * 3600_000)
      expect(c.certMaxAttempts).toBe(5)
      expect(Option.map(c.tlsPsk, (r) => Buffer.from(Redacted.value(r)).toString("hex"))).toEqual(
        Option.some("0b".repeat(32))
      )
      expect(Option.map(c.ticketSecret, (r) => Redacted.value(r).length)).toEqual(Option.some(64))
      expect(Duration.toMillis(c.ticketRotation)).toBe(86_400_000)
      expect([c.maxConns, c.minConns]).toEqual([200, 20])
      const d = yield* load({})
      expect(Duration.toMillis(d.certRenewBefore)).toBe(86_400_000)
      expect(d.certMaxAttempts).toBe(20)
      expect(Duration.toMillis(d.ticketRotation)).toBe(7 * 86_400_000)
      expect([d.maxConns, d.minConns]).toEqual([1000, 50])
      expect(Option.isNone(d.tlsPsk)).toBe(true)
    }))

  it.effect("rejects a short or undecodable TLS_PSK without echoing it, and bad durations", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(load({
        TLS_PSK: "0b".repeat(16),
        TOP_SECRET_512_B64: "not base64!!",
        CERT_RENEW_BEFORE: "soonish",
        TICKET_ROTATION: "0",
        CERT_SERVICE_URL: "ftp://x"
      }))
      expect(e.problems.map((p) => p.split(":")[0]).sort()).toEqual([
        "CERT_RENEW_BEFORE",
        "CERT_SERVICE_URL",
        "TICKET_ROTATION",
        "TLS_PSK",
        "TOP_SECRET_512_B64"
      ])
      expect(e.message).toContain("TLS_PSK: must decode to at least 32 bytes, got 16")
      expect(e.message).not.toContain("0b0b0b")
      const m = yield* Effect.flip(load({ MAXCONNS: "10", MINCONNS: "50" }))
      expect(m.message).toContain("MINCONNS: must not be above MAXCONNS")
    }))

  it.effect("accepts a config built from values (embedding)", () =>
    Effect.gen(function*() {
      const c: ServerConfigShape = yield* load({ DOT_PORT: "853", LISTEN_HOST: "127.0.0.1", CACHE_SIZE: "0" })
      expect([c.dotPort, c.listenHost, c.cacheSize]).toEqual([853, "127.0.0.1", 0])
    }))
})
