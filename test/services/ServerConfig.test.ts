import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, LogLevel, Option, Redacted } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { hashToken, newToken } from "../../src/services/AccessKeys.js"
import {
  handshakeTimeoutMs,
  inCidrs,
  ipBytes,
  loadServerConfig,
  parseCidr,
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

  it.effect("WORKERS: the number of CPUs by default, a whole number from 1, the error names it", () =>
    Effect.gen(function*() {
      expect((yield* load({})).workers).toBe(os.availableParallelism())
      expect((yield* load({ WORKERS: "1" })).workers).toBe(1)
      expect((yield* load({ WORKERS: "4" })).workers).toBe(4)
      for (const bad of ["0", "-2", "two", "1.5"]) {
        const e = yield* Effect.flip(load({ WORKERS: bad }))
        expect(e.problems.map((p) => p.split(":")[0])).toEqual(["WORKERS"])
      }
    }))

  it.effect("reads the mode, offload and proxy variables; booleans are only true/false/1/0", () =>
    Effect.gen(function*() {
      const d = yield* load({})
      expect([d.tlsOffload, d.dotHasProxyProto, d.blocklistDownloadOnly, d.profileDnsResolves]).toEqual([
        false,
        false,
        false,
        false
      ])
      expect([d.dotCleartextPort, d.dohCleartextPort, d.dotProxyPort]).toEqual([10555, 8055, 10001])
      expect(d.proxyTrusted.map((c) => c.text)).toEqual(["127.0.0.0/8", "::1/128"])
      const c = yield* load({
        TLS_OFFLOAD: "1",
        DOT_HAS_PROXY_PROTO: "true",
        PROXY_TRUSTED: "10.0.0.0/8, 2001:db8::/32",
        BLOCKLISTS: "ads=https://lists.example/ads.txt, local=/etc/vigil/block.txt",
        PROFILE_DNS_RESOLVES: "TRUE",
        PROFILE_DURATION_MS: "5000"
      })
      expect([c.tlsOffload, c.dotHasProxyProto, c.profileDnsResolves]).toEqual([true, true, true])
      expect(c.proxyTrusted.map((r) => r.prefix)).toEqual([8, 32])
      expect(c.blocklists).toEqual([
        { name: "ads", source: "https://lists.example/ads.txt" },
        { name: "local", source: "/etc/vigil/block.txt" }
      ])
      const e = yield* Effect.flip(load({
        TLS_OFFLOAD: "false-ish",
        DOT_HAS_PROXY_PROTO: "yes",
        PROXY_TRUSTED: "10.0.0.0/33,localhost",
        BLOCKLISTS: "=x,a=1,a=2"
      }))
      expect(e.problems.map((p) => p.split(":")[0]).sort()).toEqual([
        "BLOCKLISTS",
        "DOT_HAS_PROXY_PROTO",
        "PROXY_TRUSTED",
        "TLS_OFFLOAD"
      ])
      expect(e.message).toContain("TLS_OFFLOAD: expected true, false, 1 or 0, got \"false-ish\"")
      expect(e.message).toContain("not CIDRs: \"10.0.0.0/33\", \"localhost\"")
    }))

  it.effect("reads the blocklist variables; DEFAULT_BLOCKLISTS must name lists of BLOCKLISTS", () =>
    Effect.gen(function*() {
      const c = yield* load({
        BLOCKLISTS: "Ads=https://lists.example/ads.txt,malware=/srv/malware.txt",
        DEFAULT_BLOCKLISTS: "ads+MALWARE",
        ALLOWLIST: "/srv/allow.txt",
        DENYLIST: "/srv/deny.txt",
        BLOCKLIST_REFRESH: "6 hours",
        BLOCK_TTL: "30"
      })
      expect(c.blocklists.map((l) => l.name)).toEqual(["ads", "malware"])
      expect(c.defaultBlocklists).toEqual(["ads", "malware"])
      expect(Option.getOrUndefined(c.allowlist)).toBe("/srv/allow.txt")
      expect(Option.getOrUndefined(c.denylist)).toBe("/srv/deny.txt")
      expect(Duration.toHours(c.blocklistRefresh)).toBe(6)
      expect(c.blockTtl).toBe(30)
      const d = yield* load({})
      expect([d.defaultBlocklists, Option.isNone(d.allowlist), Duration.toHours(d.blocklistRefresh), d.blockTtl])
        .toEqual([[], true, 24, 60])
      const e = yield* Effect.flip(load({ BLOCKLISTS: "ads=/a.txt", DEFAULT_BLOCKLISTS: "ads,porn" }))
      expect(e.message).toContain("DEFAULT_BLOCKLISTS: not lists of BLOCKLISTS: porn (BLOCKLISTS has ads)")
      const f = yield* Effect.flip(load({ BLOCKLIST_REFRESH: "soon", BLOCK_TTL: "-1", BLOCKLISTS: "_x=/a" }))
      expect(f.problems.map((p) => p.split(":")[0]).sort()).toEqual(["BLOCKLISTS", "BLOCKLIST_REFRESH", "BLOCK_TTL"])
      const many = Array.from({ length: 33 }, (_, i) => `l${i}=/l${i}.txt`).join(",")
      expect((yield* Effect.flip(load({ BLOCKLISTS: many }))).message).toContain("at most 32 lists, got 33")
    }))

  it.effect("reads ALLOW_CLIENTS, ACCESS_KEYS and the rate limits; a plain-text token is refused without being echoed", () =>
    Effect.gen(function*() {
      const token = newToken()
      const c = yield* load({
        ALLOW_CLIENTS: "10.0.0.0/8, 2001:db8::/32",
        ACCESS_KEYS: hashToken(token),
        RATE_LIMIT_QPS: "20",
        RATE_LIMIT_BURST: "40",
        BLOCK_AFTER_S: "5",
        BLOCK_FOR_S: "120"
      })
      expect(Option.getOrThrow(c.allowClients).map((r) => r.text)).toEqual(["10.0.0.0/8", "2001:db8::/32"])
      expect(Option.getOrThrow(c.accessKeys)).toHaveLength(1)
      expect([c.rateLimitQps, c.rateLimitBurst, c.blockAfterS, c.blockForS]).toEqual([20, 40, 5, 120])
      const d = yield* load({})
      expect([Option.isNone(d.allowClients), Option.isNone(d.accessKeys), d.rateLimitQps, d.blockAfterS, d.blockForS])
        .toEqual([true, true, 0, 10, 60])
      const e = yield* Effect.flip(load({ ACCESS_KEYS: token, ALLOW_CLIENTS: "everyone", RATE_LIMIT_QPS: "-3" }))
      expect(e.problems.map((p) => p.split(":")[0]).sort()).toEqual(["ACCESS_KEYS", "ALLOW_CLIENTS", "RATE_LIMIT_QPS"])
      expect(e.message).toContain("plain-text token")
      expect(e.message).not.toContain(token)
    }))

  it("matches addresses against PROXY_TRUSTED ranges, IPv4-mapped IPv6 included", () => {
    const ranges = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "2001:db8::/32"].map((c) => parseCidr(c)!)
    expect(["127.5.5.5", "::1", "::ffff:10.9.9.9", "2001:db8:1::1"].map((a) => inCidrs(a, ranges))).toEqual([
      true,
      true,
      true,
      true
    ])
    expect(["11.0.0.1", "2001:db9::1", "::2", "garbage", undefined].map((a) => inCidrs(a, ranges))).toEqual([
      false,
      false,
      false,
      false,
      false
    ])
    expect(Buffer.from(ipBytes("64:ff9b::1.2.3.4")!).toString("hex")).toBe("0064ff9b000000000000000001020304")
    expect(parseCidr("1.2.3.4/33")).toBeUndefined()
  })

  it.effect("accepts a config built from values (embedding)", () =>
    Effect.gen(function*() {
      const c: ServerConfigShape = yield* load({ DOT_PORT: "853", LISTEN_HOST: "127.0.0.1", CACHE_SIZE: "0" })
      expect([c.dotPort, c.listenHost, c.cacheSize]).toEqual([853, "127.0.0.1", 0])
    }))
})
