import { describe, expect, it } from "@effect/vitest"
import { Console, Effect, Either } from "effect"
import { TokenCommand } from "../../src/programs/TokenCommand.js"
import { parseAccessKeys, verify } from "../../src/services/AccessKeys.js"

/** Runs `effect` with a console that records what goes to stdout (`log`) and stderr (`error`). */
const captured = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const base = yield* Effect.console
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const console: Console.Console = {
      ...base,
      log: (...args) => Effect.sync(() => void stdout.push(args.join(" "))),
      error: (...args) => Effect.sync(() => void stderr.push(args.join(" ")))
    }
    yield* Effect.withConsole(effect, console)
    return { stdout, stderr }
  })

describe("TokenCommand (`token new`)", () => {
  it.effect("prints a fresh token and the ACCESS_KEYS line whose hash verifies it", () =>
    Effect.gen(function*() {
      const { stderr, stdout } = yield* captured(TokenCommand)
      expect(stdout).toHaveLength(2)
      const [token, line] = stdout as [string, string]
      expect(token).toMatch(/^[a-z2-7]{32}$/)
      expect(line).toMatch(/^ACCESS_KEYS=s1:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}$/)
      expect(line).not.toContain(token)
      const keys = Either.getOrThrow(parseAccessKeys(line.slice("ACCESS_KEYS=".length)))
      expect(verify(keys, token)).toBe(true)
      // the hint on stderr does not carry the token
      expect(stderr.join("\n")).not.toContain(token)
      // a second run gives another token, which the first hash does not accept
      const again = yield* captured(TokenCommand)
      expect(again.stdout[0]).not.toBe(token)
      expect(verify(keys, again.stdout[0])).toBe(false)
    }))
})
