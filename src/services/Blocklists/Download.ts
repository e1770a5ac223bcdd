import * as HttpClient from "@effect/platform/HttpClient"
import { Data, Duration, Effect } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { withoutStack } from "../OperatorError.js"

/** Each list gets this long to download (fixed: lists are large and `WORKER_TIMEOUT` is a socket idle time). */
export const DOWNLOAD_TIMEOUT = Duration.seconds(60)

export interface BlocklistSource {
  readonly name: string
  /** an http(s) URL, or a local file path */
  readonly source: string
}

/** What one download stored. */
export interface StoredBlocklist {
  readonly name: string
  readonly path: string
  readonly bytes: number
  /** non-empty, non-comment (`#`, `!`) lines */
  readonly entries: number
}

export class BlocklistDownloadError extends Data.TaggedError("BlocklistDownloadError")<{
  readonly name: string
  readonly source: string
  readonly reason: "Fetch" | "Status" | "Timeout" | "Read" | "Write"
  readonly detail: string
}> {
  constructor(args: {
    readonly name: string
    readonly source: string
    readonly reason: "Fetch" | "Status" | "Timeout" | "Read" | "Write"
    readonly detail: string
  }) {
    super(args)
    withoutStack(this)
  }

  override get message() {
    return `blocklist "${this.name}" (${this.source}) could not be downloaded: ${this.detail}`
  }
}

/** Where list `name` is stored under `dataDir`. */
export const blocklistPath = (dataDir: string, name: string) => path.join(dataDir, "blocklists", `${name}.txt`)

/** Non-empty lines that are not comments (`#` hosts/domain lists, `!` adblock). */
export const countEntries = (text: string): number => {
  let n = 0
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim()
    if (t !== "" && !t.startsWith("#") && !t.startsWith("!")) n++
  }
  return n
}

const isUrl = (source: string) => /^https?:\/\//i.test(source)

const fetchBytes = (list: BlocklistSource) =>
  isUrl(list.source)
    ? Effect.gen(function*() {
      const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
      const response = yield* client.get(list.source)
      return new Uint8Array(yield* response.arrayBuffer)
    }).pipe(
      Effect.scoped,
      Effect.mapError((e) =>
        new BlocklistDownloadError({
          ...list,
          reason: e._tag === "ResponseError" && e.reason === "StatusCode" ? "Status" : "Fetch",
          detail: e._tag === "ResponseError" && e.reason === "StatusCode"
            ? `HTTP status ${e.response.status}`
            : e.cause instanceof Error
            ? e.cause.message
            : e.message
        })
      )
    )
    : Effect.tryPromise({
      try: () => fs.readFile(list.source),
      catch: (e) =>
        new BlocklistDownloadError({ ...list, reason: "Read", detail: e instanceof Error ? e.message : String(e) })
    }).pipe(Effect.map((b) => new Uint8Array(b)))

const writeAtomically = (list: BlocklistSource, file: string, bytes: Uint8Array) =>
  Effect.tryPromise({
    try: async () => {
      await fs.mkdir(path.dirname(file), { recursive: true })
      const tmp = `${file}.${process.pid}.tmp`
      try {
        await fs.writeFile(tmp, bytes)
        await fs.rename(tmp, file)
      } catch (e) {
        await fs.rm(tmp, { force: true })
        throw e
      }
    },
    catch: (e) =>
      new BlocklistDownloadError({ ...list, reason: "Write", detail: e instanceof Error ? e.message : String(e) })
  })

/**
 * Fetches one list (http(s) URL through `HttpClient`, or a local file copied) within `DOWNLOAD_TIMEOUT`
 * and stores it as `<dataDir>/blocklists/<name>.txt` (a temporary file renamed into place, so a reader
 * never sees half a list).
 */
export const downloadBlocklist = Effect.fn("Blocklists.download")(function*(dataDir: string, list: BlocklistSource) {
  const file = blocklistPath(dataDir, list.name)
  yield* Effect.logInfo(`downloading ${list.name} from ${list.source}`)
  const bytes = yield* fetchBytes(list).pipe(
    Effect.timeoutFail({
      duration: DOWNLOAD_TIMEOUT,
      onTimeout: () =>
        new BlocklistDownloadError({
          ...list,
          reason: "Timeout",
          detail: `no complete answer within ${Duration.format(DOWNLOAD_TIMEOUT)}`
        })
    })
  )
  yield* writeAtomically(list, file, bytes)
  const stored: StoredBlocklist = {
    name: list.name,
    path: file,
    bytes: bytes.length,
    entries: countEntries(new TextDecoder().decode(bytes))
  }
  yield* Effect.logInfo(`stored ${list.name}: ${stored.bytes} bytes, ${stored.entries} entries`)
  return stored
})

/** Downloads every list in order; the first failure stops and names its list. */
export const downloadAll = (dataDir: string, lists: ReadonlyArray<BlocklistSource>) =>
  Effect.forEach(lists, (list, i) =>
    downloadBlocklist(dataDir, list).pipe(
      Effect.tap(() => Effect.logInfo(`progress: ${i + 1}/${lists.length} lists`))
    )).pipe(Effect.annotateLogs({ service: "Blocklists" }))
