import * as net from "node:net"
import { describe, expect, it } from "vitest"
import { freePorts, runToExit } from "../fixtures/ServerProcess.js"

describe("the process (node dist/main.js)", () => {
  it("exits 1 before listening on a bad configuration, naming every bad variable", async () => {
    const [dot] = await freePorts(1)
    const r = await runToExit({
      DOT_PORT: String(dot),
      DOH_PORT: "not-a-port",
      UPSTREAM: "gopher://x",
      WORKER_TIMEOUT: "soon",
      TLS_KEY_PATH: "/only/key.pem",
      LOG_FORMAT: "yaml"
    })
    expect(r.code).toBe(1)
    for (const v of ["DOH_PORT", "UPSTREAM", "WORKER_TIMEOUT", "TLS_CERT_PATH", "LOG_FORMAT"]) {
      expect(r.output).toContain(v)
    }
    expect(r.output).not.toContain("listening")
    // nothing was bound to the DoT port
    await new Promise<void>((resolve, reject) => {
      const s = net.createServer().once("error", reject).listen(dot, "127.0.0.1", () => s.close(() => resolve()))
    })
  })

  it("exits 1 when a port is already taken", async () => {
    const [dot, doh, health] = await freePorts(3)
    const squatter = net.createServer()
    await new Promise<void>((resolve) => squatter.listen(doh, "127.0.0.1", () => resolve()))
    try {
      const r = await runToExit({
        DOT_PORT: String(dot),
        DOH_PORT: String(doh),
        HEALTH_PORT: String(health),
        UPSTREAM: "udp://127.0.0.1:9"
      })
      expect(r.code).toBe(1)
      expect(r.output).toContain(`DoH could not listen on 127.0.0.1:${doh}`)
      expect(r.output).toContain("EADDRINUSE")
    } finally {
      squatter.close()
    }
  })

  it("exits 1 with the reason when the certificate files cannot be read", async () => {
    const [dot, doh, health] = await freePorts(3)
    const r = await runToExit({
      DOT_PORT: String(dot),
      DOH_PORT: String(doh),
      HEALTH_PORT: String(health),
      TLS_CERT_PATH: "/nonexistent/cert.pem",
      TLS_KEY_PATH: "/nonexistent/key.pem"
    })
    expect(r.code).toBe(1)
    expect(r.output).toContain("/nonexistent/cert.pem: ENOENT")
  })
})
