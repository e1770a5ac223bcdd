import { describe, expect, it } from "@effect/vitest"
import { tuneHeap } from "../../src/programs/HeapTuning.js"

describe("tuneHeap (V8 settings at launch)", () => {
  it("keeps a pretenuring flag the operator gave, on the command line or in NODE_OPTIONS", () => {
    expect(tuneHeap(["--allocation-site-pretenuring"], undefined)).toBe(false)
    expect(tuneHeap([], "--max-semi-space-size=32 --no-allocation_site_pretenuring")).toBe(false)
  })

  it("turns pretenuring off otherwise", () => {
    // vitest's own process: setting the flag is harmless here, and what launch does
    expect(tuneHeap(["--max-semi-space-size=32"], "--enable-source-maps")).toBe(true)
  })
})
