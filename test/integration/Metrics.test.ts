import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import * as http from "node:http"
import * as https from "node:https"
import { Upstream } from "../../src/services/Upstream.js"
import type { TestCerts } from "../fixtures/Certs.js"
import { mintCerts } from "../fixtures/Certs.js"
import { a, idOf, query, rcodeOf } from "../fixtures/Dns.js"
import { connectDot } from "../fixtures/DotClient.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { freePort, portOf, serverLayer, udpUpstream } from "../fixtures/TestServer.js"
import { describeRun, run, Tools } from "../fixtures/Tools.js"

interface Response {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
}

const collect = (resume: (e: Effect.Effect<Response, Error>) => void) => (res: http.IncomingMessage) => {
  const chunks: Array<Buffer> = []
  res.on("data", (d: Buffer) => chunks.push(d))
  res.on(
    "end",
    () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
  )
}

const get = (port: number, path: string) =>
  Effect.async<Response, Error>((resume) => {
    http.get({ host: "127.0.0.1", port, path }, collect(resume)).on("error", (e) => resume(Effect.fail(e)))
  })

/** One DoH request over HTTP/1.1 on a connection of its own. */
const doh = (port: number, ca: string, path: string, body?: Uint8Array) =>
  Effect.async<Response, Error>((resume) => {
    const req = https.request({
      host: "127.0.0.1",
      port,
      path,
      ca,
      servername: "localhost",
      agent: false,
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined
        ? { accept: "application/dns-message" }
        : { "content-type": "application/dns-message", "content-length": body.length }
    }, collect(resume))
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end(body)
  })

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url")

/** `name{labels} value` lines of the exposition, keyed by `name{labels}` as printed. */
const samples = (text: string): ReadonlyMap<string, number> =>
  new Map(
    text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => {
      const at = l.lastIndexOf(" ")
      return [l.slice(0, at), Number(l.slice(at + 1))] as const
    })
  )

let certs: TestCerts | undefined
const getCerts = Effect.promise(async () => (certs ??= await mintCerts()))

/** The whole server on ephemeral ports with a stub upstream knowing `example.test`. */
const start = Effect.gen(function*() {
  const c = yield* getCerts
  const stub = yield* StubUpstream.make()
  stub.set("example.test", "A", [a("example.test", "192.0.2.1", 300)])
  const healthPort = yield* Effect.promise(freePort)
  const ctx = yield* Layer.build(serverLayer(c, { healthPort, upstreams: [udpUpstream(stub.port)] }))
  const dotPort = yield* portOf("dot").pipe(Effect.provide(ctx))
  const dohPort = yield* portOf("doh").pipe(Effect.provide(ctx))
  return { certs: c, healthPort, dotPort, dohPort, upstream: Context.get(ctx, Upstream) }
})

describe("/metrics", () => {
  it.scopedLive("counts DoT and DoH queries by rcode, cache hits, upstream latency and connections", () =>
    Effect.gen(function*() {
      const { certs: c, dohPort, dotPort, healthPort, upstream } = yield* start
      // the served upstream keeps the UDP transport's plain-code exchange through its metrics wrapper, so
      // the misses below (after the socket opens) take it, and their latency is counted all the same
      expect(upstream.tryExchange).toBeDefined()

      // DoT: a miss, a hit, an NXDOMAIN
      const dot = yield* connectDot(dotPort, c.caPem)
      dot.send(query("example.test", "A", { id: 1 }))
      yield* dot.answers(1)
      dot.send(query("example.test", "A", { id: 2 }))
      dot.send(query("nope.test", "A", { id: 3 }))
      const answers = yield* dot.answers(3)
      expect(answers.map((m) => [idOf(m), rcodeOf(m)])).toEqual([[1, 0], [2, 0], [3, 3]])

      // DoH: a hit (GET), an NXDOMAIN (POST), a 404
      const hit = yield* doh(dohPort, c.caPem, `/dns-query?dns=${b64url(query("example.test", "A", { id: 0 }))}`)
      expect(hit.status).toBe(200)
      const nx = yield* doh(dohPort, c.caPem, "/dns-query", query("nope2.test", "A", { id: 0 }))
      expect(rcodeOf(nx.body)).toBe(3)
      expect((yield* doh(dohPort, c.caPem, "/elsewhere")).status).toBe(404)

      const res = yield* get(healthPort, "/metrics")
      expect(res.status).toBe(200)
      expect(res.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8")
      const text = res.body.toString("utf8")
      const m = samples(text)

      expect(m.get("vigil_queries_total")).toBe(5)
      expect(m.get(`vigil_answers_total{transport="dot",rcode="NOERROR"}`)).toBe(2)
      expect(m.get(`vigil_answers_total{transport="dot",rcode="NXDOMAIN"}`)).toBe(1)
      expect(m.get(`vigil_answers_total{transport="doh",rcode="NOERROR"}`)).toBe(1)
      expect(m.get(`vigil_answers_total{transport="doh",rcode="NXDOMAIN"}`)).toBe(1)
      expect(m.get(`vigil_answers_total{transport="doh",rcode="SERVFAIL"}`)).toBe(0)

      expect(m.get("vigil_cache_hits_total")).toBe(2)
      expect(m.get("vigil_cache_misses_total")).toBe(3)
      expect(m.get("vigil_cache_entries")).toBe(3)

      expect(m.get("vigil_upstream_queries_total")).toBe(3)
      expect(m.get("vigil_upstream_latency_seconds_count")).toBe(3)
      expect(m.get(`vigil_upstream_latency_seconds_bucket{le="+Inf"}`)).toBe(3)
      expect(m.get("vigil_upstream_latency_seconds_sum")).toBeGreaterThan(0)

      expect(m.get(`vigil_connections_opened_total{kind="dot"}`)).toBe(1)
      expect(m.get(`vigil_connections_open{kind="dot"}`)).toBe(1)
      expect(m.get(`vigil_connections_opened_total{kind="doh"}`)).toBe(3)
      expect(m.get(`vigil_connections_dropped_total{kind="dot"}`)).toBe(0)
      expect(m.get("vigil_connection_limit")).toBe(1000)
      expect(m.get("vigil_overloaded")).toBe(0)

      expect(m.get(`vigil_doh_responses_total{status="200"}`)).toBe(2)
      expect(m.get(`vigil_doh_responses_total{status="404"}`)).toBe(1)
      expect(m.get(`vigil_doh_rejected_total{reason="not_found"}`)).toBe(1)
      expect(m.get(`vigil_dot_bad_input_total{reason="unreadable"}`)).toBe(0)

      expect(m.get("vigil_certificate_expiry_seconds")).toBeGreaterThan(20 * 86_400)
      expect(m.get("vigil_uptime_seconds")).toBeGreaterThan(0)
      // this process's memory, as Node reports it
      expect(m.get("process_resident_memory_bytes")).toBeGreaterThan(m.get("nodejs_heap_size_used_bytes")!)
      expect(m.get("nodejs_heap_size_used_bytes")).toBeGreaterThan(1_000_000)
      expect(m.get("nodejs_external_memory_bytes")).toBeGreaterThan(0)
      // every sample line is `name{labels} value` with a number
      for (const [series, value] of m) expect(Number.isFinite(value), series).toBe(true)
    }))

  it.scopedLive("the exposition passes `promtool check metrics`", (ctx) =>
    Effect.gen(function*() {
      const promtool = Tools.promtool.need(ctx)
      const { certs: c, dotPort, healthPort } = yield* start
      const dot = yield* connectDot(dotPort, c.caPem)
      dot.send(query("example.test", "A", { id: 1 }))
      yield* dot.answers(1)
      const text = (yield* get(healthPort, "/metrics")).body.toString("utf8")
      const r = yield* Effect.promise(() => run(promtool, ["check", "metrics"], { input: text }))
      expect(r.code, `${describeRun(r)}\n--- metrics\n${text}`).toBe(0)
      expect(r.stdout + r.stderr, describeRun(r)).toBe("")
    }))
})
