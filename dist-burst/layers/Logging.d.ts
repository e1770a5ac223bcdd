import { Layer } from "effect";
import { ServerConfig } from "../services/ServerConfig.js";
/** `LOG_FORMAT` and `EFFECT_LOG_LEVEL` from the configuration. */
export declare const LoggingLive: Layer.Layer<never, never, ServerConfig>;
