import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as tls from "node:tls"
import { RECORD_SIZE } from "../../src/services/TlsSessions/RecordSize.js"
import { makeRecordWriter } from "../../src/services/TlsSessions/RecordWriter.js"
import { mintCerts } from "../fixtures/Certs.js"

/** The server side of a real TLS connection on 127.0.0.1, closed with the scope. */
const tlsPair = Effect.acquireRelease(
  Effect.promise(async () => {
    const c = await mintCerts()
    const server = tls.createServer({ cert: c.certPem, key: c.keyPem })
    const accepted = new Promise<tls.TLSSocket>((resolve) => server.once("secureConnection", resolve))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as { port: number }).port
    const client = tls.connect({ port, host: "127.0.0.1", ca: c.caPem, servername: "localhost" })
    client.on("data", () => {})
    const socket = await accepted
    return { server, client, socket }
  }),
  ({ client, server, socket }) =>
    Effect.promise(() => {
      socket.destroy()
      client.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    })
)

describe("record writer", () => {
  it.scoped("immediate: a write that fits one record, with nothing queued or in flight, reaches the socket at once", () =>
    Effect.gen(function*() {
      const { socket } = yield* tlsPair
      const writer = makeRecordWriter(socket, () => 0, () => {}, queueMicrotask, true)
      writer.write(Buffer.alloc(100, 1))
      // handed to the socket in the call itself: nothing left in the writer's queue
      expect(socket.writableLength).toBe(100)
      expect(writer.queuedBytes()).toBe(0)
      // the socket still holds it: the next write is queued for the writer's pump, not written past it
      writer.write(Buffer.alloc(50, 2))
      expect(writer.queuedBytes()).toBe(50)
      // more than one record of the current size always goes through the pump (records of RECORD_SIZE)
      const fresh = makeRecordWriter((yield* tlsPair).socket, () => 0, () => {}, queueMicrotask, true)
      fresh.write(Buffer.alloc(RECORD_SIZE + 1, 3))
      expect(fresh.queuedBytes()).toBe(RECORD_SIZE + 1)
    }))

  it.scoped("deferred (the default): a write waits for the pump", () =>
    Effect.gen(function*() {
      const { socket } = yield* tlsPair
      const writer = makeRecordWriter(socket, () => 0, () => {})
      writer.write(Buffer.alloc(100, 1))
      expect(socket.writableLength).toBe(0)
      expect(writer.queuedBytes()).toBe(100)
      yield* Effect.promise(() => new Promise<void>((resolve) => queueMicrotask(resolve)))
      expect(writer.queuedBytes()).toBe(0)
      expect(socket.writableLength).toBe(100)
    }))
})
