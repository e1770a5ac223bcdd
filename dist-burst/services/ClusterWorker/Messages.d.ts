import type { MetricObjectWithValues, MetricValue } from "prom-client";
/** A certificate as it crosses the IPC channel (the private key never leaves the machine: a pipe to a child). */
export interface WireCert {
    readonly certPem: string;
    readonly keyPem: string;
    readonly source: string;
}
/** The primary's messages to a worker. */
export type ToWorker = 
/** the answer to `hello`: the worker's slot, the shared ticket seed (base64) and the current certificate */
{
    readonly type: "vigil:init";
    readonly slot: number;
    readonly ticketSeed: string | undefined;
    readonly cert: WireCert | undefined;
}
/** a new certificate, to serve from now on */
 | {
    readonly type: "vigil:cert";
    readonly cert: WireCert;
}
/** asks for readiness and counters */
 | {
    readonly type: "vigil:stats";
    readonly id: number;
}
/**
 * the primary refreshed the blocklists in DATA_DIR: load the stored copies again; `failed` names the
 * lists whose download failed (their stored copy is the previous list), with why
 */
 | {
    readonly type: "vigil:blocklists";
    readonly failed: ReadonlyArray<{
        readonly name: string;
        readonly error: string;
    }>;
};
/** One worker's answer to `vigil:stats`. */
export interface WorkerReport {
    readonly ready: boolean;
    readonly queries: number;
    readonly openConnections: number;
    readonly metrics: ReadonlyArray<MetricObjectWithValues<MetricValue<string>>>;
}
/** A worker's messages to the primary. */
export type ToPrimary = 
/** the worker listens for IPC messages: the primary answers with `vigil:init` */
{
    readonly type: "vigil:hello";
}
/** the worker's listeners accept connections */
 | {
    readonly type: "vigil:listening";
} | {
    readonly type: "vigil:stats";
    readonly id: number;
    readonly report: WorkerReport;
};
/** Only messages of ours (`vigil:`): prom-client and Node's own cluster messages pass through the same channel. */
export declare const isToWorker: (u: unknown) => u is ToWorker;
export declare const isToPrimary: (u: unknown) => u is ToPrimary;
