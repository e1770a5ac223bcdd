const isObject = (u) => typeof u === "object" && u !== null;
/** Only messages of ours (`vigil:`): prom-client and Node's own cluster messages pass through the same channel. */
export const isToWorker = (u) => isObject(u) && typeof u["type"] === "string" && u["type"].startsWith("vigil:");
export const isToPrimary = (u) => isObject(u) && typeof u["type"] === "string" && u["type"].startsWith("vigil:");
//# sourceMappingURL=Messages.js.map