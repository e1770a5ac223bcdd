import { Effect, Layer, Logger } from "effect";
import { ServerConfig } from "../services/ServerConfig.js";
/** `LOG_FORMAT` and `EFFECT_LOG_LEVEL` from the configuration. */
export const LoggingLive = Layer.unwrapEffect(Effect.map(ServerConfig, (c) => Layer.merge(c.logFormat === "json" ? Logger.json : c.logFormat === "logfmt" ? Logger.logFmt : Logger.pretty, Logger.minimumLogLevel(c.logLevel))));
//# sourceMappingURL=Logging.js.map