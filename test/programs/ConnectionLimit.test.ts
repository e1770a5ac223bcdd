import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, TestClock } from "effect"
import * as net from "node:net"
import { ConnectionLimit, LIMIT_PERIOD, type LimitBounds, limitFor } from "../../src/programs/ConnectionLimit.js"
import { CertFetcher } from "../../src/services/CertFetcher.js"
import { CertStore } from "../../src/services/CertStore.js"
import { Metrics } from "../../src/services/Metrics.js"
import { ServerConfig } from "../../src/services/ServerConfig.js"
import { IDLE, type LoadSample, SystemLoad } from "../../src/services/SystemLoad.js"
import { TlsServerRegistry } from "../../src/services/TlsServerRegistry.js"
import { mintCerts, type TestCerts } from "../fixtures/Certs.js"
import { a, idOf, query } from "../fixtures/Dns.js"
import { connectDot } from "../fixtures/DotClient.js"
import { httpRequest } from "../fixtures/ServerProcess.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { freePort, inlineCert, portOf, serverLayer, udpUpstream } from "../fixtures/TestServer.js"

const GiB = 2 ** 30

/** One CPU, so a load average of 0.71 is 71 %; 16 GiB, `free` of it free. */
const load = (avg1: number, avg5 = 0, free = 8 * GiB): LoadSample => ({
  loadavg: [avg1 / 100, avg5 / 100, 0],
  cpus: 1,
  freeMem: free,
  totalMem: 16 * GiB
})

const BOUNDS: LimitBounds = { maxConns: 1000, minConns: 50 }
/** MAXCONNS so low that every share of it is below MINCONNS */
const TIGHT: LimitBounds = { maxConns: 100, minConns: 50 }

describe("limitFor: the rows of PROTOCOLS.md §4", () => {
  const rows: ReadonlyArray<{
    readonly row: string
    readonly sample: LoadSample
    readonly bounds?: LimitBounds
    readonly adj?: number
    readonly limit: number
    readonly nextAdj: number
    readonly overloaded?: boolean
  }> = [
    { row: "idle: MAXCONNS", sample: load(0), limit: 1000, nextAdj: 0 },
    { row: "avg1 = 70 is not above 70: MAXCONNS", sample: load(70, 70), limit: 1000, nextAdj: 0 },
    { row: "calm decays the pressure: ⌊(40 + 1)·0.75⌋", sample: load(50, 40), adj: 40, limit: 1000, nextAdj: 30 },
    { row: "avg1 > 70: 0.6·MAXCONNS, +1 as avg1 > avg5", sample: load(71), limit: 600, nextAdj: 1 },
    { row: "avg1 > 70, avg1 = avg5: no pressure", sample: load(71, 71), limit: 600, nextAdj: 0 },
    { row: "avg1 > 70, at least MINCONNS", sample: load(71, 71), bounds: TIGHT, limit: 60, nextAdj: 0 },
    { row: "avg1 > 80: 0.4·MAXCONNS", sample: load(81, 70), limit: 400, nextAdj: 1 },
    { row: "avg5 > 75: 0.4·MAXCONNS", sample: load(60, 76), limit: 400, nextAdj: 0 },
    { row: "avg1 > 80: max(0.4·MAXCONNS, MINCONNS)", sample: load(81, 70), bounds: TIGHT, limit: 50, nextAdj: 1 },
    { row: "avg1 > 90: 0.2·MAXCONNS", sample: load(91, 91), limit: 200, nextAdj: 3 },
    { row: "avg5 > 80: 0.2·MAXCONNS", sample: load(60, 81), limit: 200, nextAdj: 0 },
    { row: "low RAM (< 10 % free): 0.2·MAXCONNS", sample: load(0, 0, 1.59 * GiB), limit: 200, nextAdj: 0 },
    { row: "10 % free is not low RAM", sample: load(0, 0, 1.6 * GiB), limit: 1000, nextAdj: 0 },
    { row: "avg1 > 90: max(0.2·MAXCONNS, MINCONNS)", sample: load(91, 85), bounds: TIGHT, limit: 50, nextAdj: 1 },
    { row: "avg1 = 100 is not above 100: 0.2·MAXCONNS", sample: load(100, 50), limit: 200, nextAdj: 1 },
    { row: "avg1 > 100: MINCONNS, +2 (avg5 <= 90)", sample: load(101, 50), limit: 50, nextAdj: 2 },
    { row: "avg5 > 90: +3", sample: load(101, 91), limit: 50, nextAdj: 3 },
    { row: "pressure adds up", sample: load(101, 91), adj: 10, limit: 50, nextAdj: 13 },
    { row: "adj = 48 is not above 48", sample: load(71, 71), adj: 48, limit: 600, nextAdj: 48 },
    { row: "adj > 48: ⌊MINCONNS/2⌋", sample: load(101, 50), adj: 47, limit: 25, nextAdj: 49 },
    { row: "adj = 72 is not overloaded", sample: load(101, 50), adj: 70, limit: 25, nextAdj: 72 },
    {
      row: "adj > 72: overloaded, serving at ⌊MINCONNS/2⌋",
      sample: load(101, 91),
      adj: 70,
      limit: 25,
      nextAdj: 73,
      overloaded: true
    },
    {
      row: "very low RAM (< 2.5 % free): overloaded at the floor",
      sample: load(0, 0, 0.39 * GiB),
      limit: 25,
      nextAdj: 0,
      overloaded: true
    },
    {
      row: "the floor is at least 1 (Node reads maxConnections 0 as no limit)",
      sample: load(101, 91),
      bounds: { maxConns: 10, minConns: 1 },
      adj: 72,
      limit: 1,
      nextAdj: 75,
      overloaded: true
    }
  ]

  for (const r of rows) {
    it(r.row, () => {
      const d = limitFor(r.sample, r.bounds ?? BOUNDS, r.adj ?? 0)
      expect({ limit: d.limit, adj: d.adj, overloaded: d.overloaded }).toEqual({
        limit: r.limit,
        adj: r.nextAdj,
        overloaded: r.overloaded ?? false
      })
    })
  }

  it("sustained load: the floor after 17 samples (adj 51), overloaded after 25 (adj 75)", () => {
    let adj = 0
    const seen: Array<{ n: number; limit: number; overloaded: boolean }> = []
    for (let n = 1; n <= 25; n++) {
      const d = limitFor(load(150, 95), BOUNDS, adj)
      adj = d.adj
      seen.push({ n, limit: d.limit, overloaded: d.overloaded })
    }
    expect(seen[15]).toEqual({ n: 16, limit: 50, overloaded: false })
    expect(seen[16]).toEqual({ n: 17, limit: 25, overloaded: false })
    expect(seen[23]).toEqual({ n: 24, limit: 25, overloaded: false })
    expect(seen[24]).toEqual({ n: 25, limit: 25, overloaded: true })
    // and the pressure decays once the load is gone: 75 → 56 → 42 (below the floor threshold)
    const calm1 = limitFor(load(10, 10), BOUNDS, adj)
    const calm2 = limitFor(load(10, 10), BOUNDS, calm1.adj)
    expect([calm1.adj, calm1.limit, calm1.overloaded]).toEqual([56, 25, false])
    expect([calm2.adj, calm2.limit]).toEqual([42, 1000])
  })
})

let certs: TestCerts | undefined
const getCerts = Effect.promise(async () => (certs ??= await mintCerts()))

describe("ConnectionLimit loop", () => {
  it.scoped("applies MAXCONNS at start, then the limit of each sample to every server every 5 s", () =>
    Effect.gen(function*() {
      const c = yield* getCerts
      const systemLoad = yield* SystemLoad.makeTest(load(0))
      const layer = Layer.mergeAll(
        TlsServerRegistry.Default.pipe(
          Layer.provide(CertStore.Default),
          Layer.provide(CertFetcher.layer(inlineCert(c), "/nonexistent"))
        ),
        Metrics.Default,
        Layer.succeed(SystemLoad, systemLoad)
      ).pipe(Layer.provideMerge(ServerConfig.layer({ maxConns: 1000, minConns: 50 })))
      const ctx = yield* Layer.build(layer)
      const registry = Context.get(ctx, TlsServerRegistry)
      const metrics = Context.get(ctx, Metrics)
      const dot = net.createServer()
      const doh = net.createServer()
      yield* registry.register("dot", dot)
      yield* registry.register("doh", doh)
      const limits = () => [dot.maxConnections, doh.maxConnections]

      yield* ConnectionLimit.pipe(Effect.provide(ctx))
      expect(limits()).toEqual([1000, 1000])

      yield* systemLoad.set({ loadavg: [1.01, 0.5, 0] })
      yield* TestClock.adjust(Duration.subtract(LIMIT_PERIOD, Duration.millis(1)))
      expect(limits()).toEqual([1000, 1000])
      yield* TestClock.adjust(Duration.millis(1))
      expect(limits()).toEqual([50, 50])
      expect(metrics.limit()).toMatchObject({ limit: 50, adj: 2, overloaded: false })

      yield* systemLoad.set({ loadavg: [0.81, 0.7, 0] })
      yield* TestClock.adjust(LIMIT_PERIOD)
      expect(limits()).toEqual([400, 400])
      // 2 carried over, +1 (avg1 > avg5), then ⌊3·0.75⌋ on a calm sample
      yield* systemLoad.set({ loadavg: [0.1, 0.1, 0] })
      yield* TestClock.adjust(LIMIT_PERIOD)
      expect(limits()).toEqual([1000, 1000])
      expect(metrics.limit().adj).toBe(2)

      yield* systemLoad.set({ freeMem: 0.3 * GiB })
      yield* TestClock.adjust(LIMIT_PERIOD)
      expect(limits()).toEqual([25, 25])
      expect(yield* metrics.overloaded).toBe(true)
    }))
})

/** GET on the health listener: status and body. */
const get = (port: number, path: string) =>
  Effect.tryPromise(() => httpRequest(port, path)).pipe(Effect.map(({ body, status }) => ({ status, body })))

/** Waits (real time, a few ms at a step) until `check` holds; TestClock does not move here. */
const eventually = <A>(read: Effect.Effect<A>, check: (a: A) => boolean, timeoutMs = 5000) =>
  Effect.gen(function*() {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const v = yield* read
      if (check(v) || performance.now() > deadline) return v
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
    }
  })

/**
 * The whole server under TestClock (set to now, so the certificate is valid), its load driven by the
 * test. The graceful shutdown's waits run on the TestClock too, so the server is closed only once the
 * clients (closed first, being acquired later) are gone on the server side as well, or destroyed.
 */
const testServer = (overrides: Parameters<typeof serverLayer>[1]) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.now())
    const c = yield* getCerts
    const stub = yield* StubUpstream.make()
    stub.set("example.test", "A", [a("example.test", "192.0.2.1", 300)])
    const healthPort = yield* Effect.promise(freePort)
    const systemLoad = yield* SystemLoad.makeTest(IDLE)
    const ctx = yield* Layer.build(
      serverLayer(
        c,
        { healthPort, upstreams: [udpUpstream(stub.port)], ...overrides },
        { systemLoad: Layer.succeed(SystemLoad, systemLoad), periodic: true }
      )
    )
    const registry = Context.get(ctx, TlsServerRegistry)
    yield* Effect.addFinalizer(() =>
      eventually(registry.openConnections, (n) => n === 0, 2000).pipe(Effect.zipRight(registry.closeConnections))
    )
    return { certs: c, healthPort, systemLoad, ctx, registry }
  })

describe("ConnectionLimit in the server", () => {
  it.scoped("an overloaded machine turns /ready 503 and back", () =>
    Effect.gen(function*() {
      const { healthPort, systemLoad } = yield* testServer({})
      expect((yield* get(healthPort, "/ready")).status).toBe(200)

      yield* systemLoad.set({ freeMem: IDLE.totalMem * 0.02 })
      yield* TestClock.adjust(LIMIT_PERIOD)
      expect(yield* get(healthPort, "/ready")).toEqual({ status: 503, body: "not ready\n" })
      expect((yield* get(healthPort, "/check")).status).toBe(200)
      const metrics = (yield* get(healthPort, "/metrics")).body
      expect(metrics).toMatch(/^vigil_overloaded 1$/m)
      expect(metrics).toMatch(/^vigil_connection_limit 25$/m)

      yield* systemLoad.set({ freeMem: IDLE.totalMem * 0.5 })
      yield* TestClock.adjust(LIMIT_PERIOD)
      expect((yield* get(healthPort, "/ready")).status).toBe(200)
    }))

  it.scoped("DoT connections beyond the limit are dropped and counted", () =>
    Effect.gen(function*() {
      const { certs: c, healthPort, registry, systemLoad, ctx } = yield* testServer({ maxConns: 10, minConns: 2 })
      const port = yield* portOf("dot").pipe(Effect.provide(ctx))
      const dot = (yield* registry.servers).find((s) => s.kind === "dot")!
      expect(dot.server.maxConnections).toBe(10)

      // avg1 > 100 %: MINCONNS
      yield* systemLoad.set({ loadavg: [IDLE.cpus * 1.5, 0, 0] })
      yield* TestClock.adjust(LIMIT_PERIOD)
      expect(dot.server.maxConnections).toBe(2)

      // every connection has an id, on its TCP socket and on its TLS socket
      const tlsIds: Array<number | undefined> = []
      dot.server.on("secureConnection", (s: net.Socket) => tlsIds.push(registry.connectionId(s)))

      const first = yield* connectDot(port, c.caPem)
      const second = yield* connectDot(port, c.caPem)
      const third = yield* Effect.either(connectDot(port, c.caPem))
      expect(third._tag).toBe("Left")
      expect(dot.counters.dropped).toBe(1)
      expect(dot.connections.size).toBe(2)
      const tcpIds = [...dot.connections].map((s) => registry.connectionId(s))
      expect(new Set(tcpIds).size).toBe(2)
      expect(tlsIds.sort()).toEqual(tcpIds.sort())

      // the connections within the limit still serve
      second.send(query("example.test", "A", { id: 7 }))
      expect(idOf((yield* second.answers(1))[0]!)).toBe(7)

      const metrics = (yield* get(healthPort, "/metrics")).body
      expect(metrics).toMatch(/^vigil_connections_dropped_total\{kind="dot"\} 1$/m)
      expect(metrics).toMatch(/^vigil_connections_open\{kind="dot"\} 2$/m)
      expect(metrics).toMatch(/^vigil_connection_limit 2$/m)

      // a place frees up once a connection closes
      first.socket.destroy()
      yield* eventually(Effect.sync(() => dot.connections.size), (n) => n === 1)
      yield* connectDot(port, c.caPem)
      expect(dot.counters.dropped).toBe(1)
      expect(dot.counters.opened).toBe(3)
      // the refused connection took no id
      yield* eventually(Effect.sync(() => tlsIds.length), (n) => n === 3)
      expect(tlsIds).toEqual([1, 2, 3])
    }))
})
