import "reflect-metadata"
import { NodeRuntime } from "@effect/platform-node"
import { Layer } from "effect"
import { AppLive } from "./layers/App.js"

AppLive.pipe(Layer.launch, NodeRuntime.runMain)
