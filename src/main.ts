import "reflect-metadata"
import { NodeRuntime } from "@effect/platform-node"
import { AppMain } from "./layers/App.js"

AppMain.pipe(NodeRuntime.runMain)
