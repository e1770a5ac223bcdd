import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { mintCerts } from "../fixtures/Certs.js"
import { a, idOf, query } from "../fixtures/Dns.js"
import { connectDot } from "../fixtures/DotClient.js"
import { httpRequest } from "../fixtures/ServerProcess.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { freePort, portOf, serverLayer, udpUpstream } from "../fixtures/TestServer.js"

/** GET on the health listener: status and body. */
const get = (port: number, path: string) =>
  Effect.tryPromise(() => httpRequest(port, path)).pipe(Effect.map(({ body, status }) => ({ status, body })))

describe("health listener", () => {
  it.scopedLive("/check and /ready are 200 while serving; /ready turns 503 while draining", () =>
    Effect.gen(function*() {
      const certs = yield* Effect.promise(() => mintCerts())
      const stub = yield* StubUpstream.make()
      stub.set("slow.test", "A", [a("slow.test", "192.0.2.9", 300)])
      stub.behave("slow.test", { delayMs: 600 })
      const healthPort = yield* Effect.promise(freePort)
      const scope = yield* Scope.make()
      const ctx = yield* Layer.buildWithScope(
        serverLayer(certs, { healthPort, upstreams: [udpUpstream(stub.port)] }),
        scope
      )
      expect(yield* get(healthPort, "/check")).toEqual({ status: 200, body: "ok\n" })
      expect((yield* get(healthPort, "/ready")).status).toBe(200)
      expect((yield* get(healthPort, "/nope")).status).toBe(404)

      const port = yield* portOf("dot").pipe(Effect.provide(ctx))
      const client = yield* connectDot(port, certs.caPem)
      client.send(query("slow.test", "A", { id: 3 }))
      yield* Effect.sleep(Duration.millis(100))
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* Effect.sleep(Duration.millis(100))
      // draining: still alive, no longer ready
      expect((yield* get(healthPort, "/check")).status).toBe(200)
      expect((yield* get(healthPort, "/ready")).status).toBe(503)
      expect(idOf((yield* client.answers(1))[0]!)).toBe(3)
      yield* Fiber.join(closing)
      expect((yield* Effect.either(get(healthPort, "/check")))._tag).toBe("Left")
    }))

  it.scopedLive("/ready is 503 when the served certificate has expired", () =>
    Effect.gen(function*() {
      const now = Date.now()
      const certs = yield* Effect.promise(() =>
        mintCerts({ notBefore: new Date(now - 10 * 86_400_000), notAfter: new Date(now - 86_400_000) })
      )
      const healthPort = yield* Effect.promise(freePort)
      yield* Layer.buildWithScope(serverLayer(certs, { healthPort, upstreams: [udpUpstream(9)] }), yield* Effect.scope)
      expect((yield* get(healthPort, "/check")).status).toBe(200)
      const ready = yield* get(healthPort, "/ready")
      expect(ready.status).toBe(503)
    }))
})
