/**
 * `WORKERS=2` with a URL blocklist: the primary fetches it once per host (at start and every
 * `BLOCKLIST_REFRESH`), the workers load the stored copy and reload it when told, so a changed list is
 * enforced by every worker and the list server sees one fetch per refresh, not one per worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as http from "node:http"
import * as https from "node:https"
import type * as net from "node:net"
import { type CertFiles, mintCerts, type TestCerts, writeCerts } from "../fixtures/Certs.js"
import { decode, query } from "../fixtures/Dns.js"
import { type MiniUpstream, startMiniUpstream } from "../fixtures/MiniUpstream.js"
import { type ServerProcess, startServer } from "../fixtures/ServerProcess.js"

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

let certs: TestCerts | undefined
let files: CertFiles | undefined
let upstream: MiniUpstream | undefined
let server: ServerProcess | undefined
let listServer: http.Server | undefined
const list = { text: "first.test\n", hits: 0 }

/** A DoH GET on a connection of its own (so that connections spread over the workers): the A records. */
const resolve = (name: string) =>
  new Promise<Array<string>>((resolve, reject) => {
    const q = query(name, "A", { id: 0 })
    https.get({
      host: "127.0.0.1",
      port: server!.ports.doh,
      ca: certs!.caPem,
      servername: "localhost",
      path: `/dns-query?dns=${Buffer.from(q).toString("base64url")}`,
      agent: false
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () =>
        resolve(
          (decode(Buffer.concat(chunks)).answers ?? []).flatMap((r) => (r.type === "A" ? [String(r.data)] : []))
        ))
    }).on("error", reject)
  })

describe("WORKERS=2 with URL blocklists (built server)", () => {
  beforeAll(async () => {
    certs = await mintCerts()
    files = await writeCerts(certs)
    upstream = await startMiniUpstream()
    listServer = http.createServer((_req, res) => {
      list.hits++
      res.end(list.text)
    })
    await new Promise<void>((r) => listServer!.listen(0, "127.0.0.1", r))
    const port = (listServer.address() as net.AddressInfo).port
    server = await startServer({
      upstream: upstream.url,
      tls: { certPath: files.certPath, keyPath: files.keyPath },
      env: {
        WORKERS: "2",
        SHUTDOWN_TIMEOUT_MS: "3000",
        BLOCKLISTS: `web=http://127.0.0.1:${port}/list.txt`,
        DEFAULT_BLOCKLISTS: "web",
        BLOCKLIST_REFRESH: "3 seconds"
      },
      readyTimeoutMs: 40_000
    })
  }, 60_000)

  afterAll(async () => {
    await server?.stop("SIGKILL")
    await upstream?.close()
    await files?.cleanup()
    listServer?.close()
  })

  it("the primary fetches once per refresh; every worker enforces the new list after a refresh", async () => {
    // at start: one fetch (the primary's), both workers block the first list
    expect(list.hits, server!.output()).toBe(1)
    for (let i = 0; i < 6; i++) expect(await resolve("first.test")).toEqual(["0.0.0.0"])

    list.text = "second.test\n"
    const refreshed = () => (server!.output().match(/blocklists refreshed; 2 workers reload them/g) ?? []).length
    for (let i = 0; i < 100 && refreshed() < 2; i++) await sleep(100)
    expect(refreshed(), server!.output()).toBeGreaterThanOrEqual(2)
    // one fetch per refresh (a refresh may be under way as we count), not one per worker
    expect(list.hits).toBeGreaterThanOrEqual(1 + refreshed())
    expect(list.hits).toBeLessThanOrEqual(2 + refreshed())
    await sleep(300)
    for (let i = 0; i < 6; i++) {
      expect(await resolve("second.test")).toEqual(["0.0.0.0"])
      expect(await resolve("first.test")).not.toEqual(["0.0.0.0"])
    }
  }, 60_000)
})
