import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, HashMap, Layer, Logger, Option, TestClock } from "effect"
import { dnsServerLayerWith } from "../../src/layers/App.js"
import { HEARTBEAT_INTERVAL } from "../../src/programs/Heartbeat.js"
import { ServerConfig } from "../../src/services/ServerConfig.js"
import { IDLE, SystemLoad } from "../../src/services/SystemLoad.js"
import { TlsServerRegistry } from "../../src/services/TlsServerRegistry.js"
import { mintCerts } from "../fixtures/Certs.js"
import { a, query } from "../fixtures/Dns.js"
import { connectDot } from "../fixtures/DotClient.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { inlineCert, portOf, udpUpstream } from "../fixtures/TestServer.js"

interface Line {
  readonly level: string
  readonly service: string | undefined
  readonly message: string
}

/** A logger that keeps every line. */
const capture = () => {
  const lines: Array<Line> = []
  const logger = Logger.make(({ annotations, logLevel, message }) => {
    lines.push({
      level: logLevel.label,
      service: Option.getOrUndefined(HashMap.get(annotations, "service")) as string | undefined,
      message: Array.isArray(message) ? message.join(" ") : String(message)
    })
  })
  return { lines, layer: Logger.add(logger) }
}

/** Waits in real time (TestClock does not move) until `check` holds. */
const eventually = <A>(read: Effect.Effect<A>, check: (a: A) => boolean, timeoutMs = 2000) =>
  Effect.gen(function*() {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const v = yield* read
      if (check(v) || performance.now() > deadline) return v
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
    }
  })

describe("Heartbeat", () => {
  it.scoped("logs the counters every HEARTBEAT_INTERVAL of the Clock", () =>
    Effect.gen(function*() {
      // now, so that the certificate is valid under TestClock
      yield* TestClock.setTime(Date.now())
      const certs = yield* Effect.promise(() => mintCerts())
      const stub = yield* StubUpstream.make()
      stub.set("example.test", "A", [a("example.test", "192.0.2.1", 300)])
      const log = capture()
      const ctx = yield* Layer.build(
        dnsServerLayerWith(SystemLoad.layer(IDLE)).pipe(
          Layer.provide(log.layer),
          Layer.provide(ServerConfig.layer({
            listenHost: "127.0.0.1",
            dotPort: 0,
            dohPort: 0,
            healthPort: 0,
            tls: inlineCert(certs),
            upstreams: [udpUpstream(stub.port)],
            maxConns: 500
          }))
        )
      )
      const registry = Context.get(ctx, TlsServerRegistry)
      // the graceful shutdown waits on the TestClock: close only once the clients are gone
      yield* Effect.addFinalizer(() =>
        eventually(registry.openConnections, (n) => n === 0).pipe(Effect.zipRight(registry.closeConnections))
      )
      const heartbeats = () => log.lines.filter((l) => l.service === "Heartbeat")

      const dot = yield* connectDot(yield* portOf("dot").pipe(Effect.provide(ctx)), certs.caPem)
      dot.send(query("example.test", "A", { id: 1 }))
      yield* dot.answers(1)

      yield* TestClock.adjust(Duration.subtract(HEARTBEAT_INTERVAL, Duration.millis(1)))
      expect(heartbeats()).toEqual([])
      yield* TestClock.adjust(Duration.millis(1))
      expect(heartbeats()).toHaveLength(1)
      const first = heartbeats()[0]!
      expect(first.level).toBe("INFO")
      expect(first.message).toContain("connections 1 open (dot 1, doh 0), 1 opened, 0 dropped, 0 timed out")
      expect(first.message).toContain("queries 1 (0 in flight), cache hits 0 (0.0 %)")
      expect(first.message).toContain("upstream 1 (errors 0 avg ")
      expect(first.message).toContain("limit 500 (pressure 0)")
      expect(first.message).toMatch(/handshakes \d+ full, resumed \d+ ticket/)
      expect(first.message).toMatch(/certificate expires in 29d/)

      // a cache hit, then the next beat
      dot.send(query("example.test", "A", { id: 2 }))
      yield* dot.answers(2)
      yield* TestClock.adjust(HEARTBEAT_INTERVAL)
      expect(heartbeats()).toHaveLength(2)
      expect(heartbeats()[1]!.message).toContain("queries 2 (0 in flight), cache hits 1 (50.0 %)")
    }))
})
