import { Effect, FiberSet } from "effect"
import * as http from "node:http"
import { CertStore } from "../services/CertStore.js"
import { ServerConfig } from "../services/ServerConfig.js"
import { listen, TlsServerRegistry } from "../services/TlsServerRegistry.js"

/**
 * Plain HTTP on `HEALTH_PORT`: `GET /check` is 200 while the process runs; `GET /ready` is 200 only
 * while the listeners accept and the served certificate is valid, 503 otherwise (draining, expired).
 */
export const HealthServer = Effect.gen(function*() {
  const config = yield* ServerConfig
  const registry = yield* TlsServerRegistry
  const certs = yield* CertStore
  const run = yield* FiberSet.makeRuntimePromise<never, boolean, never>()
  const readiness = Effect.zipWith(registry.accepting, certs.isValid, (a, b) => a && b)

  const send = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store"
    })
    res.end(body)
  }

  const server = yield* Effect.acquireRelease(
    Effect.sync(() =>
      http.createServer((req, res) => {
        const path = (req.url ?? "/").split("?")[0]
        if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed\n")
        if (path === "/check") return send(res, 200, "ok\n")
        if (path === "/ready") {
          run(readiness).then(
            (ready) => send(res, ready ? 200 : 503, ready ? "ready\n" : "not ready\n"),
            () => send(res, 503, "not ready\n")
          )
          return
        }
        send(res, 404, "not found\n")
      })
    ),
    (server) =>
      Effect.sync(() => {
        server.close()
        server.closeAllConnections()
      })
  )
  server.keepAliveTimeout = 5_000
  const address = yield* listen("health", server, config.listenHost, config.healthPort, config.tcpBacklog)
  return { address }
})
