import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { Clock, Duration, Effect, Option, Stream } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { forEachChainName } from "./Blocklists/Answer.js"
import { type CompiledBlocklists, makeBuilder } from "./Blocklists/Compiled.js"
import { type BlocklistSource, downloadBlocklist } from "./Blocklists/Download.js"
import { parseLine, type ParseSink } from "./Blocklists/Parse.js"
import { ClusterWorker } from "./ClusterWorker.js"
import { ServerConfig } from "./ServerConfig.js"

export { blockAnswer, EDE_BLOCKED, EDE_FILTERED } from "./Blocklists/Answer.js"

/** `check` verdicts (a positive verdict is the mask of the selected lists that hold the name). */
export const PASS = 0
/** the name is on `DENYLIST` */
export const DENIED = -1
/** the name is on `ALLOWLIST`: never blocked, not even through its CNAME chain */
export const ALLOWED = -2

/**
 * The lists that come from URLs, with the name their copy is stored under in `DATA_DIR/blocklists`
 * (`BLOCKLISTS` by name; `ALLOWLIST`/`DENYLIST` as `_allowlist`/`_denylist`): what a cluster primary
 * fetches for its workers.
 */
export const urlSources = (config: {
  readonly blocklists: ReadonlyArray<BlocklistSource>
  readonly allowlist: Option.Option<string>
  readonly denylist: Option.Option<string>
}): ReadonlyArray<{ readonly list: string; readonly store: BlocklistSource }> =>
  [
    ...config.blocklists.map((l) => ({ list: l.name, store: l })),
    ...Option.toArray(config.allowlist).map((source) => ({
      list: "allowlist",
      store: { name: "_allowlist", source }
    })),
    ...Option.toArray(config.denylist).map((source) => ({ list: "denylist", store: { name: "_denylist", source } }))
  ].filter((l) => isUrl(l.store.source))

/** After a refresh in which a list could not be fetched, the next try comes this soon (or at the period). */
export const RETRY_AFTER_FAILURE = Duration.minutes(15)

/** Lines parsed between two yields to the event loop while lists are compiled (a few milliseconds). */
const LINES_PER_SLICE = 20_000

/**
 * What an answer's CNAME chain runs through, against the lists of one generation: the lists holding
 * any of its names (allowlisted names excepted) and whether one is denylisted. Kept on the cached answer
 * and recomputed when the lists change.
 */
export interface ChainMark {
  generation: number
  mask: number
  denied: boolean
}

/** One configured list as last loaded. */
export interface ListInfo {
  readonly name: string
  readonly source: string
  /** distinct names */
  readonly names: number
  /** lines or names that could not be read as a host name */
  readonly invalid: number
  /** adblock rules deliberately not used */
  readonly skipped: number
  readonly bytes: number
  /** where the text came from: `file` (a local path), `stored` (a fresh copy in DATA_DIR), `downloaded`, `stale` (the stored copy after a failed download), `none` */
  readonly origin: "file" | "stored" | "downloaded" | "stale" | "none"
  /** the last error, when the last load of this list failed */
  readonly error: string | undefined
}

/** Blocking counters (SPEC.md §7 metrics). */
export interface BlocklistStats {
  /** queries blocked, by list (index as in `BLOCKLISTS`) */
  readonly blockedByList: Array<number>
  denied: number
  /** queries blocked because the upstream answer's CNAME chain runs through a blocked name */
  cnameBlocked: number
  /** queries whose name is on `ALLOWLIST` (served whatever the lists say) */
  allowed: number
  /** selector names that are no configured list */
  unknownSelectors: number
  refreshes: number
  refreshFailures: number
}

/** The state of the lists, for the heartbeat and `/metrics`. */
export interface BlocklistsReading {
  readonly lists: ReadonlyArray<ListInfo>
  readonly allowlist: ListInfo | undefined
  readonly denylist: ListInfo | undefined
  readonly generation: number
  /** Clock ms of the last load (start-up or refresh), and whether every list loaded */
  readonly lastLoadAt: number
  readonly lastLoadOk: boolean
  readonly memoryBytes: number
  readonly stats: BlocklistStats
}

const setImmediateYield = Effect.async<void>((resume) => {
  const t = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(t))
})

const isUrl = (source: string) => /^https?:\/\//i.test(source)

/** How `load` treats the stored copy of a URL list: used while fresh, used whatever its age, or fetched anew. */
type LoadMode = "fresh" | "stored" | "refetch"

/** Adds every name of `text` to list `list` of the builder, yielding to the event loop between slices. */
const feed = (text: string, add: (name: string) => void) =>
  Effect.gen(function*() {
    let invalid = 0
    let skipped = 0
    const sink: ParseSink = {
      name: add,
      invalid: () => {
        invalid++
      },
      skipped: () => {
        skipped++
      }
    }
    let start = 0
    while (start < text.length) {
      for (let n = 0; n < LINES_PER_SLICE && start < text.length; n++) {
        let nl = text.indexOf("\n", start)
        if (nl === -1) nl = text.length
        parseLine(text.slice(start, nl), sink)
        start = nl + 1
      }
      if (start < text.length) yield* setImmediateYield
    }
    return { invalid, skipped }
  })

/**
 * The blocklists (SPEC.md §7): `BLOCKLISTS` compiled into one lookup structure, `ALLOWLIST` and `DENYLIST`
 * into two more, loaded before the listeners open and refreshed every `BLOCKLIST_REFRESH` without a
 * restart. Lists from URLs are kept in `DATA_DIR/blocklists` and used from there while fresh; a list
 * that cannot be fetched keeps its stored copy (the previous list). The new structures replace the old
 * ones in one assignment, so every query sees either the old lists or the new ones. Compiling runs in
 * slices between which queries are served.
 *
 * The per-query methods are plain synchronous code: `select` (a request's selector to a mask of lists),
 * `check` (a query's name against the selected lists), `markChain`/`chainVerdict` (an answer's CNAME chain).
 */
export class Blocklists extends Effect.Service<Blocklists>()("vigil/Blocklists", {
  scoped: Effect.gen(function*() {
    const config = yield* ServerConfig
    const http = yield* HttpClient.HttpClient
    const worker = yield* Effect.serviceOption(ClusterWorker)
    const listNames = config.blocklists.map((l) => l.name)
    const index = new Map(listNames.map((name, i) => [name, i]))
    const maskOfNames = (names: ReadonlyArray<string>) =>
      names.reduce((m, n) => (index.has(n) ? (m | (1 << index.get(n)!)) >>> 0 : m), 0)
    const defaultMask = maskOfNames(config.defaultBlocklists)
    const allowSource = Option.getOrUndefined(config.allowlist)
    const denySource = Option.getOrUndefined(config.denylist)
    /** anything to do at all: without lists and a denylist no query is ever blocked */
    const active = listNames.length > 0 || denySource !== undefined
    const logAnnotation = Effect.annotateLogs({ service: "Blocklists" })

    const stats: BlocklistStats = {
      blockedByList: listNames.map(() => 0),
      denied: 0,
      cnameBlocked: 0,
      allowed: 0,
      unknownSelectors: 0,
      refreshes: 0,
      refreshFailures: 0
    }
    const none = (list: BlocklistSource): ListInfo => ({
      ...list,
      names: 0,
      invalid: 0,
      skipped: 0,
      bytes: 0,
      origin: "none",
      error: undefined
    })

    // the current generation: replaced whole by `load`
    let lists: CompiledBlocklists = makeBuilder(listNames).finish()
    let allow: CompiledBlocklists | undefined
    let deny: CompiledBlocklists | undefined
    let generation = 0
    let infos: ReadonlyArray<ListInfo> = config.blocklists.map(none)
    let allowInfo: ListInfo | undefined
    let denyInfo: ListInfo | undefined
    let lastLoadAt = 0
    let lastLoadOk = true

    /**
     * The text of one list: a local file read as it is; a URL from its stored copy while fresh (`fresh`),
     * whatever its age (`stored`: a worker, whose primary refreshes DATA_DIR), else fetched (`refetch`, or
     * no usable copy).
     */
    const readList = (list: BlocklistSource, storeName: string, mode: LoadMode) =>
      Effect.gen(function*() {
        if (!isUrl(list.source)) {
          const text = yield* Effect.tryPromise(() => fs.readFile(list.source, "utf8"))
          return { text, origin: "file" as const, error: undefined }
        }
        const stored = path.join(config.dataDir, "blocklists", `${storeName}.txt`)
        const now = yield* Clock.currentTimeMillis
        const mtime = yield* Effect.promise(() => fs.stat(stored).then((s) => s.mtimeMs, () => undefined))
        const fresh = mtime !== undefined &&
          (mode === "stored" || (mode === "fresh" && now - mtime < Duration.toMillis(config.blocklistRefresh)))
        if (fresh) {
          const text = yield* Effect.tryPromise(() => fs.readFile(stored, "utf8"))
          return { text, origin: "stored" as const, error: undefined }
        }
        const fetched = yield* downloadBlocklist(config.dataDir, { name: storeName, source: list.source }).pipe(
          Effect.provideService(HttpClient.HttpClient, http),
          Effect.either
        )
        if (fetched._tag === "Right") {
          const text = yield* Effect.tryPromise(() => fs.readFile(stored, "utf8"))
          return { text, origin: "downloaded" as const, error: undefined }
        }
        const error = fetched.left.message
        if (mtime === undefined) return yield* Effect.fail(error)
        yield* Effect.logWarning(`${error}; keeping the stored copy`)
        const text = yield* Effect.tryPromise(() => fs.readFile(stored, "utf8"))
        return { text, origin: "stale" as const, error }
      })

    /** Loads one list into list `i` of `builder`; never fails (a failure is an empty list and an error in its info). */
    const loadInto = (
      list: BlocklistSource,
      storeName: string,
      mode: LoadMode,
      add: (name: string) => void,
      size: () => number
    ) =>
      readList(list, storeName, mode).pipe(
        Effect.flatMap(({ error, origin, text }) =>
          feed(text, add).pipe(
            Effect.map(({ invalid, skipped }): ListInfo => ({
              ...list,
              names: size(),
              invalid,
              skipped,
              bytes: Buffer.byteLength(text),
              origin,
              error
            }))
          )
        ),
        Effect.catchAll((e) => {
          const error = typeof e === "string" ? e : `could not read ${list.source}: ${String(e.error)}`
          return Effect.logError(`blocklist "${list.name}": ${error}`).pipe(
            Effect.as<ListInfo>({ ...none(list), error })
          )
        })
      )

    /** Builds a one-list structure (the allowlist or the denylist). */
    const loadSingle = (list: BlocklistSource, storeName: string, mode: LoadMode) =>
      Effect.gen(function*() {
        const builder = makeBuilder([list.name])
        let count = 0
        const info = yield* loadInto(list, storeName, mode, (n) => {
          builder.add(0, n)
          count++
        }, () => count)
        const compiled = builder.finish()
        return { compiled, info: { ...info, names: compiled.size } }
      })

    /**
     * Loads every list, compiles, and puts the result in place in one step. `failedElsewhere`: lists whose
     * download failed in the cluster primary (a worker loads their stored, previous copy).
     */
    const load = (mode: LoadMode, failedElsewhere: ReadonlyMap<string, string> = new Map()) =>
      Effect.gen(function*() {
        const started = yield* Clock.currentTimeMillis
        const builder = makeBuilder(listNames)
        const loaded: Array<ListInfo> = []
        for (const [i, list] of config.blocklists.entries()) {
          loaded.push(yield* loadInto(list, list.name, mode, (n) => builder.add(i, n), () => 0))
        }
        const nextLists = builder.finish()
        const nextInfos = loaded.map((info, i) => ({ ...info, names: nextLists.listSizes[i] ?? 0 }))
        const nextAllow = allowSource === undefined
          ? undefined
          : yield* loadSingle({ name: "allowlist", source: allowSource }, "_allowlist", mode)
        const nextDeny = denySource === undefined
          ? undefined
          : yield* loadSingle({ name: "denylist", source: denySource }, "_denylist", mode)
        const marked = (info: ListInfo): ListInfo => {
          const error = failedElsewhere.get(info.name)
          return error === undefined || info.error !== undefined ? info : { ...info, origin: "stale", error }
        }
        const all = [...nextInfos, ...(nextAllow ? [nextAllow.info] : []), ...(nextDeny ? [nextDeny.info] : [])]
          .map(marked)
        const ok = all.every((info) => info.error === undefined)
        // the swap: one synchronous step, between two queries
        lists = nextLists
        allow = nextAllow?.compiled
        deny = nextDeny?.compiled
        infos = nextInfos.map(marked)
        allowInfo = nextAllow === undefined ? undefined : marked(nextAllow.info)
        denyInfo = nextDeny === undefined ? undefined : marked(nextDeny.info)
        generation++
        lastLoadAt = yield* Clock.currentTimeMillis
        lastLoadOk = ok
        const took = lastLoadAt - started
        yield* Effect.logInfo(
          `blocklists loaded (generation ${generation}, ${took} ms): ` +
            all.map((l) => `${l.name} ${l.names} names (${l.origin}${l.invalid > 0 ? `, ${l.invalid} invalid` : ""})`)
              .join(", ")
        )
        return ok
      }).pipe(logAnnotation)

    if ((active || allowSource !== undefined) && Option.isSome(worker)) {
      // a worker of WORKERS=N: the primary fetches into DATA_DIR on the schedule (once per host) and says
      // when; the worker loads the stored copies
      yield* load("stored")
      yield* worker.value.blocklistReloads.pipe(
        Stream.runForEach((failed) =>
          Effect.gen(function*() {
            stats.refreshes++
            if (failed.length > 0) stats.refreshFailures++
            yield* load("stored", new Map(failed.map((f) => [f.name, f.error])))
          })
        ),
        Effect.forkScoped
      )
    } else if (active || allowSource !== undefined) {
      let ok = yield* load("fresh")
      yield* Effect.gen(function*() {
        for (;;) {
          const wait = ok
            ? config.blocklistRefresh
            : Duration.min(config.blocklistRefresh, RETRY_AFTER_FAILURE)
          yield* Effect.sleep(wait)
          stats.refreshes++
          ok = yield* load("refetch")
          if (!ok) {
            stats.refreshFailures++
            yield* Effect.logWarning(
              `blocklist refresh incomplete: the lists that failed keep their previous copy; retrying in ${
                Duration.format(Duration.min(config.blocklistRefresh, RETRY_AFTER_FAILURE))
              }`
            ).pipe(logAnnotation)
          }
        }
      }).pipe(Effect.forkScoped)
    }

    const select = (selector: string | undefined): number => {
      if (selector === undefined || selector.length === 0) return defaultMask
      let mask = 0
      for (const part of selector.toLowerCase().split(/[+,-]/)) {
        if (part.length === 0) continue
        const i = index.get(part)
        if (i === undefined) stats.unknownSelectors++
        else mask |= 1 << i
      }
      return mask === 0 ? defaultMask : mask >>> 0
    }

    const countBlocked = (mask: number) => {
      for (let i = 0; i < listNames.length; i++) if ((mask & (1 << i)) !== 0) stats.blockedByList[i]!++
    }

    /** The verdict for the name of `query` (at offset 12) under the lists `selection`. */
    const check = (query: Uint8Array, selection: number): number => {
      if (allow !== undefined && allow.lookupWire(query, 12) !== 0) {
        stats.allowed++
        return ALLOWED
      }
      if (deny !== undefined && deny.lookupWire(query, 12) !== 0) {
        stats.denied++
        return DENIED
      }
      if (selection === 0) return PASS
      const mask = (lists.lookupWire(query, 12) & selection) >>> 0
      if (mask !== 0) countBlocked(mask)
      return mask
    }

    /** Brings `mark` up to the current lists for `answer`. */
    const markChain = (mark: ChainMark, answer: Uint8Array): ChainMark => {
      if (mark.generation === generation) return mark
      let mask = 0
      let denied = false
      forEachChainName(answer, (offset) => {
        if (allow !== undefined && allow.lookupWire(answer, offset) !== 0) return
        if (deny !== undefined && deny.lookupWire(answer, offset) !== 0) denied = true
        mask |= lists.lookupWire(answer, offset)
      })
      mark.generation = generation
      mark.mask = mask >>> 0
      mark.denied = denied
      return mark
    }

    /** The verdict for an answer whose chain is marked `mark`, for a query under `selection` (not allowlisted). */
    const chainVerdict = (mark: ChainMark, selection: number): number => {
      if (mark.denied) {
        stats.cnameBlocked++
        stats.denied++
        return DENIED
      }
      const mask = (mark.mask & selection) >>> 0
      if (mask !== 0) {
        stats.cnameBlocked++
        countBlocked(mask)
      }
      return mask
    }

    return {
      /** false without `BLOCKLISTS` and `DENYLIST`: nothing is ever blocked, the query path skips every check */
      active,
      listNames,
      defaultMask,
      /** the mask of the lists a request selects (`a+b`, `a-b`); none or only unknown names: `DEFAULT_BLOCKLISTS` */
      select,
      check,
      newMark: (): ChainMark => ({ generation: -1, mask: 0, denied: false }),
      markChain,
      chainVerdict,
      /** names of the lists in `mask`, for the answer's Extended DNS Error text */
      namesOf: (mask: number) => listNames.filter((_, i) => (mask & (1 << i)) !== 0),
      /** loads and compiles every list again now (what the schedule does) */
      refresh: load("refetch"),
      read: (): BlocklistsReading => ({
        lists: infos,
        allowlist: allowInfo,
        denylist: denyInfo,
        generation,
        lastLoadAt,
        lastLoadOk,
        memoryBytes: lists.memoryBytes + (allow?.memoryBytes ?? 0) + (deny?.memoryBytes ?? 0),
        stats
      })
    }
  }),
  dependencies: [NodeHttpClient.layer]
}) {}
