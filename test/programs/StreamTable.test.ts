import { describe, expect, it } from "@effect/vitest"
import { StreamTable } from "../../src/programs/DohServer/H2/StreamTable.js"

describe("StreamTable (the open streams of an HTTP/2 connection)", () => {
  it("finds, removes and lists streams by id as a Map would", () => {
    const t = new StreamTable<{ id: number; tag: string }>()
    const ref = new Map<number, { id: number; tag: string }>()
    // open and close in an interleaved order, checking every id against a Map after each step
    const steps: Array<[number, boolean]> = [
      [1, true],
      [3, true],
      [5, true],
      [3, false],
      [7, true],
      [1, false],
      [
        9,
        true
      ],
      [9, false],
      [5, false],
      [11, true]
    ]
    for (const [id, open] of steps) {
      if (open) {
        const s = { id, tag: `s${id}` }
        t.set(id, s)
        ref.set(id, s)
      } else {
        expect(t.delete(id)).toBe(true)
        ref.delete(id)
      }
      expect(t.size).toBe(ref.size)
      for (let probe = 1; probe <= 11; probe += 2) expect(t.get(probe)).toBe(ref.get(probe))
    }
    expect(t.delete(3)).toBe(false)
    expect(t.values().map((s) => s.id).sort((a, b) => a - b)).toEqual([...ref.keys()].sort((a, b) => a - b))
  })

  it("lists a snapshot that stays whole while streams are removed during the walk", () => {
    const t = new StreamTable<{ id: number }>()
    for (const id of [1, 3, 5, 7]) t.set(id, { id })
    const seen: Array<number> = []
    for (const s of t.values()) {
      seen.push(s.id)
      t.delete(s.id)
    }
    expect(seen.sort((a, b) => a - b)).toEqual([1, 3, 5, 7])
    expect(t.size).toBe(0)
    t.set(9, { id: 9 })
    t.clear()
    expect(t.get(9)).toBeUndefined()
  })

  it("refuses a stream filed under another id", () => {
    const t = new StreamTable<{ id: number }>()
    expect(() => t.set(3, { id: 5 })).toThrow("stream 5 filed as 3")
  })
})
