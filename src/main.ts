import "reflect-metadata"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect } from "effect"
import { AppMain } from "./layers/App.js"
import { tuneHeap } from "./programs/HeapTuning.js"
import { TokenCommand } from "./programs/TokenCommand.js"

tuneHeap()

// `node dist/main.js token new` prints an access token and its ACCESS_KEYS line; no argument serves
const [command, sub] = process.argv.slice(2)
const program = command === undefined
  ? AppMain
  : command === "token" && sub === "new"
  ? TokenCommand
  : Console.error(`unknown command "${[command, sub].filter((x) => x !== undefined).join(" ")}"; usage:
  node dist/main.js             serve (configured by environment variables, see README.md)
  node dist/main.js token new   print a new access token and the ACCESS_KEYS line that admits it`).pipe(
    Effect.zipRight(Effect.sync(() => {
      process.exitCode = 2
    }))
  )
program.pipe(NodeRuntime.runMain)
