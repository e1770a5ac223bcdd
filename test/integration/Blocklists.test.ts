/**
 * Blocklists over real sockets (SPEC.md §7): per-request selection through DoH paths and the DoT SNI,
 * allow/deny lists, block answers, CNAME cloaking against a stub upstream, refresh under TestClock with a
 * local HTTP server whose list changes, start-up from the stored copy, and real clients (kdig).
 */
import type * as dnsPacket from "@dnsquery/dns-packet"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Option, Scope, TestClock } from "effect"
import * as fs from "node:fs/promises"
import * as http from "node:http"
import * as https from "node:https"
import type * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Blocklists } from "../../src/services/Blocklists.js"
import type { ServerConfigShape } from "../../src/services/ServerConfig.js"
import { mintCerts, type TestCerts } from "../fixtures/Certs.js"
import { a, decode, query } from "../fixtures/Dns.js"
import { connectDot } from "../fixtures/DotClient.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { freePort, portOf, serverLayer, udpUpstream } from "../fixtures/TestServer.js"
import { describeRun, run, Tools } from "../fixtures/Tools.js"

const certs: TestCerts = await mintCerts({ dnsNames: ["localhost", "dns.localhost", "*.dns.localhost"] })

const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "vigil-lists-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

const write = (dir: string, name: string, text: string) =>
  Effect.promise(async () => {
    const file = path.join(dir, name)
    await fs.writeFile(file, text)
    return file
  })

const cname = (name: string, target: string, ttl: number): dnsPacket.Answer => ({
  type: "CNAME",
  name,
  ttl,
  class: "IN",
  data: target
})

/** The stub upstream and the lists every test of the first block uses. */
const setup = (overrides: Partial<ServerConfigShape> = {}, serverScope?: Scope.Scope) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const stub = yield* StubUpstream.make()
    for (const name of ["ads.example", "ok.example", "good.ads.example", "malware.test", "evil.example"]) {
      stub.set(name, "A", [a(name, "192.0.2.7", 300)])
    }
    stub.set("ads.example", "AAAA", [{ type: "AAAA", name: "ads.example", ttl: 300, class: "IN", data: "2001:db8::7" }])
    // a CNAME into a tracker hidden under a first-party name
    stub.set("metrics.shop.example", "A", [
      cname("metrics.shop.example", "edge.tracker-cdn.test", 300),
      a("edge.tracker-cdn.test", "192.0.2.99", 300)
    ])
    stub.set("www.shop.example", "A", [a("www.shop.example", "192.0.2.8", 300)])
    const ads = yield* write(dir, "ads.txt", "# ads\n0.0.0.0 ads.example\n127.0.0.1 x.ads.example\ntracker-cdn.test\n")
    const malware = yield* write(dir, "malware.txt", "! adblock\n||malware.test^\n||BAD.Example.^\n")
    const allow = yield* write(dir, "allow.txt", "good.ads.example\n")
    const deny = yield* write(dir, "deny.txt", "evil.example\n")
    const layer = serverLayer(certs, {
      upstreams: [udpUpstream(stub.port)],
      dataDir: dir,
      blocklists: [{ name: "ads", source: ads }, { name: "malware", source: malware }],
      defaultBlocklists: ["ads"],
      allowlist: Option.some(allow),
      denylist: Option.some(deny),
      blockTtl: 42,
      ...overrides
    })
    const ctx = yield* Layer.buildWithScope(layer, serverScope ?? (yield* Effect.scope))
    const dot = yield* portOf("dot").pipe(Effect.provide(ctx))
    const doh = yield* portOf("doh").pipe(Effect.provide(ctx))
    const lists = yield* Blocklists.pipe(Effect.provide(ctx))
    return { stub, dot, doh, lists, dir, healthPort: overrides.healthPort }
  })

/** A DoH GET over HTTP/1.1 on `path` (default `/dns-query`); the decoded answer. */
const dohGet = (port: number, q: Uint8Array, pathname = "/dns-query") =>
  Effect.async<{ status: number; body: Buffer }, Error>((resume) => {
    const req = https.get({
      host: "127.0.0.1",
      port,
      ca: certs.caPem,
      servername: "localhost",
      path: `${pathname}?dns=${Buffer.from(q).toString("base64url")}`,
      agent: false
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) })))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
  })

const ask = (port: number, name: string, type: dnsPacket.RecordType = "A", pathname?: string) =>
  dohGet(port, query(name, type, { edns: true }), pathname).pipe(
    Effect.map((r) => {
      expect(r.status).toBe(200)
      return decode(r.body)
    })
  )

const addresses = (p: dnsPacket.Packet) =>
  (p.answers ?? []).flatMap((r) => (r.type === "A" || r.type === "AAAA" ? [r.data] : []))

/** The Extended DNS Error code of an answer's OPT record, if any. */
const ede = (p: dnsPacket.Packet): number | undefined => {
  const opt = (p.additionals ?? []).find((r) => r.type === "OPT") as unknown as
    | { options?: ReadonlyArray<{ code: number; data?: Buffer }> }
    | undefined
  const o = opt?.options?.find((x) => x.code === 15)
  return o?.data === undefined ? undefined : o.data.readUInt16BE(0)
}

describe("blocklists over DoH and DoT", () => {
  it.scopedLive("DoH without a selector applies DEFAULT_BLOCKLISTS; A → 0.0.0.0, AAAA → ::, other types NODATA", () =>
    Effect.gen(function*() {
      const { doh, lists, stub } = yield* setup()
      const blocked = yield* ask(doh, "ads.example")
      expect(blocked.rcode).toBe("NOERROR")
      expect(addresses(blocked)).toEqual(["0.0.0.0"])
      expect(blocked.answers?.[0]?.ttl).toBe(42)
      expect(ede(blocked)).toBe(17)
      expect(addresses(yield* ask(doh, "sub.x.ads.example"))).toEqual(["0.0.0.0"])
      expect(addresses(yield* ask(doh, "ADS.Example", "AAAA"))).toEqual(["::"])
      const txt = yield* ask(doh, "ads.example", "TXT")
      expect(txt.rcode).toBe("NOERROR")
      expect(txt.answers ?? []).toEqual([])
      // the default list is not malware: that one passes
      expect(addresses(yield* ask(doh, "malware.test"))).toEqual(["192.0.2.7"])
      expect(addresses(yield* ask(doh, "ok.example"))).toEqual(["192.0.2.7"])
      // blocked names never reach the upstream
      expect(stub.queries().map((q) => q.name.toLowerCase())).not.toContain("ads.example")
      expect(lists.read().stats.blockedByList).toEqual([4, 0])
    }))

  it.scopedLive("DoH /dns-query/<a+b> selects lists; an unknown name is ignored and counted", () =>
    Effect.gen(function*() {
      const { doh, lists } = yield* setup()
      expect(addresses(yield* ask(doh, "malware.test", "A", "/dns-query/malware"))).toEqual(["0.0.0.0"])
      expect(addresses(yield* ask(doh, "ads.example", "A", "/dns-query/malware"))).toEqual(["192.0.2.7"])
      expect(addresses(yield* ask(doh, "bad.example", "A", "/dns-query/ads+malware"))).toEqual(["0.0.0.0"])
      expect(addresses(yield* ask(doh, "ads.example", "A", "/dns-query/ads+malware"))).toEqual(["0.0.0.0"])
      // "nosuch" is no list: ignored (counted), malware still applies
      expect(addresses(yield* ask(doh, "malware.test", "A", "/dns-query/nosuch+malware"))).toEqual(["0.0.0.0"])
      // only unknown names: the default lists
      expect(addresses(yield* ask(doh, "ads.example", "A", "/dns-query/nosuch"))).toEqual(["0.0.0.0"])
      expect(lists.read().stats.unknownSelectors).toBe(2)
    }))

  it.scopedLive("ALLOWLIST wins over every list, DENYLIST blocks whatever the selection", () =>
    Effect.gen(function*() {
      const { doh, lists } = yield* setup()
      expect(addresses(yield* ask(doh, "good.ads.example"))).toEqual(["192.0.2.7"])
      const denied = yield* ask(doh, "evil.example", "A", "/dns-query/malware")
      expect(addresses(denied)).toEqual(["0.0.0.0"])
      expect(ede(denied)).toBe(15)
      expect(addresses(yield* ask(doh, "www.evil.example"))).toEqual(["0.0.0.0"])
      const stats = lists.read().stats
      expect(stats.allowed).toBe(1)
      expect(stats.denied).toBe(2)
    }))

  it.scopedLive("CNAME cloaking: an answer whose chain runs through a listed name is blocked, per request, also from the cache", () =>
    Effect.gen(function*() {
      const { doh, lists, stub } = yield* setup()
      const cloaked = yield* ask(doh, "metrics.shop.example")
      expect(addresses(cloaked)).toEqual(["0.0.0.0"])
      expect(cloaked.answers?.map((r) => r.type)).toEqual(["A"])
      // the malware list does not hold the tracker: the real answer, from the cache
      const real = yield* ask(doh, "metrics.shop.example", "A", "/dns-query/malware")
      expect(addresses(real)).toEqual(["192.0.2.99"])
      expect(real.answers?.map((r) => r.type)).toEqual(["CNAME", "A"])
      // and the cached answer is blocked again for the default lists
      expect(addresses(yield* ask(doh, "metrics.shop.example"))).toEqual(["0.0.0.0"])
      expect(stub.queries().filter((q) => q.name === "metrics.shop.example")).toHaveLength(1)
      expect(lists.read().stats.cnameBlocked).toBe(2)
      expect(addresses(yield* ask(doh, "www.shop.example"))).toEqual(["192.0.2.8"])
    }))

  it.scopedLive("DoT: the first SNI label selects lists; an SNI that is the certificate's name selects the defaults", () =>
    Effect.gen(function*() {
      const { dot } = yield* setup()
      const byName = (client: { answers: (n: number) => Effect.Effect<ReadonlyArray<Buffer>> }, n: number) =>
        client.answers(n).pipe(Effect.map((all) => all.map((b) => addresses(decode(b))[0])))
      const malware = yield* connectDot(dot, certs.caPem, { servername: "malware.dns.localhost" })
      malware.send(query("malware.test", "A", { id: 1 }))
      malware.send(query("ads.example", "A", { id: 2 }))
      const answers = yield* malware.answers(2)
      const byId = new Map(answers.map((b) => [decode(b).id, addresses(decode(b))[0]]))
      expect(byId.get(1)).toBe("0.0.0.0")
      expect(byId.get(2)).toBe("192.0.2.7")

      const both = yield* connectDot(dot, certs.caPem, { servername: "malware-ads.dns.localhost" })
      both.send(query("malware.test", "A", { id: 3 }))
      both.send(query("ads.example", "A", { id: 4 }))
      expect(yield* byName(both, 2)).toEqual(["0.0.0.0", "0.0.0.0"])

      const plain = yield* connectDot(dot, certs.caPem, { servername: "dns.localhost" })
      plain.send(query("malware.test", "A", { id: 5 }))
      plain.send(query("ads.example", "A", { id: 6 }))
      const p = new Map((yield* plain.answers(2)).map((b) => [decode(b).id, addresses(decode(b))[0]]))
      expect(p.get(5)).toBe("192.0.2.7")
      expect(p.get(6)).toBe("0.0.0.0")
    }))

  it.scopedLive("kdig: +tls-sni=<lists>.localhost and +https=/dns-query/<lists> get block answers", (ctx) =>
    Effect.gen(function*() {
      const kdig = Tools.kdig.need(ctx)
      const { doh, dot } = yield* setup()
      const viaDot = yield* Effect.promise(() =>
        run(kdig, ["@127.0.0.1", "-p", String(dot), "+tls", "+tls-sni=malware.dns.localhost", "malware.test", "A"])
      )
      expect(viaDot.stdout, describeRun(viaDot)).toMatch(/malware\.test\.\s+42\s+IN\s+A\s+0\.0\.0\.0/)
      expect(viaDot.stdout, describeRun(viaDot)).toMatch(/EDE: 17/)
      const viaDoh = yield* Effect.promise(() =>
        run(kdig, [
          "@127.0.0.1",
          "-p",
          String(doh),
          "+https=/dns-query/malware",
          "+tls-sni=localhost",
          "malware.test",
          "AAAA"
        ])
      )
      expect(viaDoh.stdout, describeRun(viaDoh)).toMatch(/malware\.test\.\s+42\s+IN\s+AAAA\s+::/)
      const passes = yield* Effect.promise(() =>
        run(kdig, ["@127.0.0.1", "-p", String(doh), "+https=/dns-query/malware", "ads.example", "A"])
      )
      expect(passes.stdout, describeRun(passes)).toMatch(/ads\.example\.\s+\d+\s+IN\s+A\s+192\.0\.2\.7/)
    }))
})

const httpGet = (port: number, pathname: string) =>
  Effect.async<string, Error>((resume) => {
    http.get({ host: "127.0.0.1", port, path: pathname }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8"))))
    }).on("error", (e) => resume(Effect.fail(e)))
  })

describe("blocklist metrics", () => {
  it.scopedLive("/metrics shows blocked queries per list, list sizes and the last load; promtool accepts it", (ctx) =>
    Effect.gen(function*() {
      const promtool = Tools.promtool.need(ctx)
      const healthPort = yield* Effect.promise(freePort)
      const { doh } = yield* setup({ healthPort })
      yield* ask(doh, "ads.example")
      yield* ask(doh, "malware.test", "A", "/dns-query/malware+nosuch")
      yield* ask(doh, "evil.example")
      yield* ask(doh, "metrics.shop.example")
      const text = yield* httpGet(healthPort, "/metrics")
      expect(text).toMatch(/^vigil_blocked_queries_total\{list="ads"\} 2$/m)
      expect(text).toMatch(/^vigil_blocked_queries_total\{list="malware"\} 1$/m)
      expect(text).toMatch(/^vigil_blocked_queries_total\{list="denylist"\} 1$/m)
      expect(text).toMatch(/^vigil_blocked_cname_total 1$/m)
      expect(text).toMatch(/^vigil_blocklist_unknown_selectors_total 1$/m)
      expect(text).toMatch(/^vigil_blocklist_names\{list="ads"\} 3$/m)
      expect(text).toMatch(/^vigil_blocklist_names\{list="malware"\} 2$/m)
      expect(text).toMatch(/^vigil_blocklist_names\{list="denylist"\} 1$/m)
      expect(text).toMatch(/^vigil_blocklist_last_load_success 1$/m)
      expect(text).toMatch(/^vigil_blocklist_load_ok\{list="allowlist"\} 1$/m)
      const r = yield* Effect.promise(() => run(promtool, ["check", "metrics"], { input: text }))
      expect(r.code, describeRun(r)).toBe(0)
    }))
})

/** A local HTTP server whose list text (or status) the test changes. */
const listServer = Effect.acquireRelease(
  Effect.async<{ server: http.Server; port: number; state: { text: string; status: number; hits: number } }>(
    (resume) => {
      const state = { text: "", status: 200, hits: 0 }
      const server = http.createServer((_req, res) => {
        state.hits++
        res.writeHead(state.status, { "content-type": "text/plain" })
        res.end(state.status === 200 ? state.text : "no")
      })
      server.listen(
        0,
        "127.0.0.1",
        () => resume(Effect.succeed({ server, port: (server.address() as net.AddressInfo).port, state }))
      )
    }
  ),
  ({ server }) => Effect.sync(() => server.close())
)

/** Closes a server's scope under TestClock: its shutdown waits on the clock, so the clock moves meanwhile. */
const closeMovingClock = (scope: Scope.CloseableScope) =>
  Effect.gen(function*() {
    const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
    while (closing.unsafePoll() === null) {
      yield* TestClock.adjust(Duration.millis(100))
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
    }
  })

/** Real-time wait (TestClock does not move it) until `cond` holds. */
const until = (cond: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (cond()) return
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
    }
    return yield* Effect.dieMessage(`timed out waiting for ${what}`)
  })

describe("blocklist refresh", () => {
  it.scoped("refreshes on schedule under TestClock; a failed refresh keeps the previous list", () =>
    Effect.gen(function*() {
      const serverScope = yield* Scope.make()
      yield* refreshScenario(serverScope).pipe(Effect.ensuring(closeMovingClock(serverScope)))
    }))
})

const refreshScenario = (serverScope: Scope.Scope) =>
  Effect.gen(function*() {
    const web = yield* listServer
    web.state.text = "first.test\n"
    const { doh, lists } = yield* setup({
      blocklists: [{ name: "web", source: `http://127.0.0.1:${web.port}/list.txt` }],
      defaultBlocklists: ["web"],
      allowlist: Option.none(),
      denylist: Option.none(),
      blocklistRefresh: Duration.hours(6)
    }, serverScope)
    expect(lists.read().lists[0]).toMatchObject({ name: "web", names: 1, origin: "downloaded" })
    expect(addresses(yield* ask(doh, "first.test"))).toEqual(["0.0.0.0"])
    expect(web.state.hits).toBe(1)
    web.state.text = "second.test\nthird.test\n"
    yield* TestClock.adjust(Duration.hours(5))
    expect(lists.read().generation).toBe(1)
    yield* TestClock.adjust(Duration.hours(1))
    yield* until(() => lists.read().generation === 2, "the refresh")
    expect(web.state.hits).toBe(2)
    expect(lists.read().lists[0]).toMatchObject({ names: 2, origin: "downloaded" })
    expect(addresses(yield* ask(doh, "second.test"))).toEqual(["0.0.0.0"])
    expect(lists.read().lastLoadOk).toBe(true)

    // the list server fails: the stored copy (second, third) stays in force
    web.state.status = 500
    yield* TestClock.adjust(Duration.hours(6))
    yield* until(() => lists.read().generation === 3, "the failed refresh")
    const reading = lists.read()
    expect(reading.lastLoadOk).toBe(false)
    expect(reading.stats.refreshFailures).toBe(1)
    expect(reading.lists[0]).toMatchObject({ names: 2, origin: "stale" })
    expect(reading.lists[0]!.error).toMatch(/HTTP status 500/)
    expect(addresses(yield* ask(doh, "third.test"))).toEqual(["0.0.0.0"])
    // after a failure the next try comes in 15 minutes
    web.state.status = 200
    web.state.text = "fourth.test\n"
    yield* TestClock.adjust(Duration.minutes(15))
    yield* until(() => lists.read().generation === 4, "the retry")
    expect(lists.read().lastLoadOk).toBe(true)
    expect(addresses(yield* ask(doh, "fourth.test"))).toEqual(["0.0.0.0"])
  })

describe("blocklists at start-up", () => {
  it.scopedLive("starts from the stored copy in DATA_DIR without fetching while it is fresh", () =>
    Effect.gen(function*() {
      const web = yield* listServer
      web.state.text = "fresh.test\n"
      const dir = yield* tempDir
      yield* Effect.promise(() => fs.mkdir(path.join(dir, "blocklists")))
      yield* write(path.join(dir, "blocklists"), "web.txt", "stored.test\n")
      const { doh, lists } = yield* setup({
        dataDir: dir,
        blocklists: [{ name: "web", source: `http://127.0.0.1:${web.port}/list.txt` }],
        defaultBlocklists: ["web"],
        allowlist: Option.none(),
        denylist: Option.none()
      })
      expect(web.state.hits).toBe(0)
      expect(lists.read().lists[0]).toMatchObject({ origin: "stored", names: 1 })
      expect(addresses(yield* ask(doh, "stored.test"))).toEqual(["0.0.0.0"])
    }))

  it.scopedLive("a list that cannot be had at start-up is empty and logged; the others serve", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const good = yield* write(dir, "good.txt", "blocked.test\n")
      const { doh, lists } = yield* setup({
        blocklists: [{ name: "gone", source: path.join(dir, "missing.txt") }, { name: "good", source: good }],
        defaultBlocklists: ["gone", "good"],
        allowlist: Option.none(),
        denylist: Option.none()
      })
      const [gone, ok] = lists.read().lists
      expect(gone).toMatchObject({ origin: "none", names: 0 })
      expect(gone!.error).toMatch(/missing\.txt/)
      expect(ok).toMatchObject({ origin: "file", names: 1 })
      expect(lists.read().lastLoadOk).toBe(false)
      expect(addresses(yield* ask(doh, "blocked.test"))).toEqual(["0.0.0.0"])
    }))
})
