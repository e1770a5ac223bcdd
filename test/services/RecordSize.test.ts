import { describe, expect, it } from "@effect/vitest"
import {
  BURST_BYTES,
  BURST_RECORD_SIZE,
  makeRecordSizer,
  RECORD_SIZE
} from "../../src/services/TlsSessions/RecordSize.js"

describe("TLS record sizing policy (SPEC.md §5)", () => {
  it("starts small and stays small below ~1.1 MB a second", () => {
    const sizer = makeRecordSizer()
    expect(sizer.next(0, 100)).toBe(RECORD_SIZE)
    // 1,000,000 bytes within the first second: still small
    for (let t = 1; t <= 999; t++) expect(sizer.next(t, 1_000)).toBe(RECORD_SIZE)
  })

  it("grows to 16 KiB once more than 1.1 MB is written within a second, from the write that crosses it", () => {
    const sizer = makeRecordSizer()
    expect(sizer.next(0, BURST_BYTES)).toBe(RECORD_SIZE)
    expect(sizer.next(500, 1)).toBe(BURST_RECORD_SIZE)
    // a single write larger than the threshold is a burst by itself
    expect(makeRecordSizer().next(0, BURST_BYTES + 1)).toBe(BURST_RECORD_SIZE)
  })

  it("counts bytes per one-second window: 600 KB in each of two windows is no burst", () => {
    const sizer = makeRecordSizer()
    expect(sizer.next(0, 600_000)).toBe(RECORD_SIZE)
    expect(sizer.next(999, 1)).toBe(RECORD_SIZE)
    expect(sizer.next(1_500, 600_000)).toBe(RECORD_SIZE)
    expect(sizer.next(1_999, 600_000)).toBe(BURST_RECORD_SIZE)
  })

  it("stays large while writes keep coming, small again after one second idle", () => {
    const sizer = makeRecordSizer()
    expect(sizer.next(0, 2_000_000)).toBe(BURST_RECORD_SIZE)
    // a trickle after the burst keeps it large (no second without writes)
    for (let t = 900; t < 5_000; t += 900) expect(sizer.next(t, 10)).toBe(BURST_RECORD_SIZE)
    expect(sizer.next(4_500 + 999, 10)).toBe(BURST_RECORD_SIZE)
    expect(sizer.next(4_500 + 999 + 1_000, 10)).toBe(RECORD_SIZE)
  })

  it("peeks at the size of the next write without counting it", () => {
    const sizer = makeRecordSizer()
    expect(sizer.peek(0)).toBe(RECORD_SIZE)
    expect(sizer.next(0, 2_000_000)).toBe(BURST_RECORD_SIZE)
    expect(sizer.peek(500)).toBe(BURST_RECORD_SIZE)
    expect(sizer.peek(999)).toBe(BURST_RECORD_SIZE)
    // a second without writes: the next one is small again
    expect(sizer.peek(1_000)).toBe(RECORD_SIZE)
    expect(sizer.next(1_000, 10)).toBe(RECORD_SIZE)
  })
})
