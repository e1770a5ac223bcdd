import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import * as net from "node:net"
import { DnsServerLayer, QueryHandler, ServerConfig, TlsServerRegistry } from "../src/index.js"
import { mintCerts } from "./fixtures/Certs.js"
import { a, decode, idOf, query } from "./fixtures/Dns.js"
import { connectDot } from "./fixtures/DotClient.js"
import * as StubUpstream from "./fixtures/StubUpstream.js"

describe("embedding", () => {
  it.scopedLive("another Effect app composes the exported layers with its own ServerConfig", () =>
    Effect.gen(function*() {
      const certs = yield* Effect.promise(() => mintCerts())
      const stub = yield* StubUpstream.make()
      stub.set("embedded.test", "A", [a("embedded.test", "192.0.2.77", 60)])

      // the embedding app's own configuration, built from values rather than the environment
      const AppConfig = ServerConfig.layer({
        listenHost: "127.0.0.1",
        dotPort: 0,
        dohPort: 0,
        healthPort: 0,
        upstreams: [{ _tag: "udp", host: "127.0.0.1", port: stub.port, text: stub.udpUrl }],
        tls: {
          _tag: "Inline",
          certKey: Redacted.make(
            `KEY=${Buffer.from(certs.keyPem).toString("base64")}\nCRT=${Buffer.from(certs.certPem).toString("base64")}`
          )
        }
      })
      const App = DnsServerLayer.pipe(
        Layer.provide(AppConfig),
        Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
      )

      // the app's own program, using the services the layer exposes
      const program = Effect.gen(function*() {
        const registry = yield* TlsServerRegistry
        const servers = yield* registry.servers
        expect(servers.map((s) => s.kind).sort()).toEqual(["doh", "dot"])
        const dot = servers.find((s) => s.kind === "dot")!
        const client = yield* connectDot((dot.server.address() as net.AddressInfo).port, certs.caPem)
        client.send(query("embedded.test", "A", { id: 4321 }))
        const [answer] = yield* client.answers(1)
        expect(idOf(answer!)).toBe(4321)
        expect(decode(answer!).answers?.[0]?.data).toBe("192.0.2.77")
        const handler = yield* QueryHandler
        expect(handler.stats().queries).toBe(1)
      })
      yield* program.pipe(Effect.provide(App))
    }))
})
