import { Effect } from "effect";
import { Admission } from "../services/Admission.js";
import { AnswerCache } from "../services/AnswerCache.js";
import { Blocklists, type BlocklistsReading } from "../services/Blocklists.js";
import { type CertStats } from "../services/CertStore.js";
import { type LimitState, Metrics, type UpstreamCounters } from "../services/Metrics.js";
import { QueryHandler, type QueryStats, type Transport } from "../services/QueryHandler.js";
import { TlsServerRegistry } from "../services/TlsServerRegistry.js";
import { type TlsSessionStats } from "../services/TlsSessions.js";
import { type DohStats } from "./DohServer.js";
import { dotBadInput } from "./DotServer.js";
import { proxyAccepted, proxyRefused } from "./DotServer/ProxyListener.js";
/** The connection counters of the listeners of one kind ("dot", "doh", …). */
export interface ConnectionStats {
    readonly kind: string;
    /** connections open now */
    readonly open: number;
    readonly opened: number;
    /** refused at the adaptive limit (`maxConnections`) */
    readonly dropped: number;
    readonly timedOut: number;
    /** failed TLS handshakes */
    readonly tlsErrors: number;
}
/** Every counter of the server, read at one moment: what the heartbeat logs and `/metrics` shows. */
export interface Stats {
    /** Clock time of the reading, ms */
    readonly at: number;
    /** since the server started (Clock) */
    readonly uptimeSeconds: number;
    readonly startedAt: number;
    readonly queries: QueryStats;
    readonly inFlight: number;
    /** answers sent by transport, indexed by rcode (0–15) */
    readonly answers: Readonly<Record<Transport, ReadonlyArray<number>>>;
    readonly cache: {
        readonly hits: number;
        readonly misses: number;
        readonly expired: number;
        readonly stored: number;
        readonly size: number;
    };
    readonly upstream: UpstreamCounters;
    /** by listener kind, in registration order */
    readonly connections: ReadonlyArray<ConnectionStats>;
    readonly limit: Readonly<LimitState>;
    /** TLS handshakes (full, resumed by kind), session cache, PSK, ticket rotations, record sizing */
    readonly tls: TlsSessionStats;
    /** undefined under TLS offload (no certificate) */
    readonly certificate: CertStats & {
        readonly notAfter: Date;
        /** seconds until the served certificate expires (negative once it has) */
        readonly secondsLeft: number;
    } | undefined;
    readonly doh: DohStats;
    readonly dot: Readonly<typeof dotBadInput>;
    /** `DOT_PROXY_PORT`: headers accepted by command, connections refused by reason */
    readonly dotProxy: {
        readonly accepted: typeof proxyAccepted;
        readonly refused: typeof proxyRefused;
    };
    /** ACL, token and rate-limit refusals, dynamic blocks */
    readonly admission: ReturnType<Admission["read"]>;
    /** lists, their sizes and loads, blocking counters */
    readonly blocklists: BlocklistsReading;
    readonly rssBytes: number;
}
/** Reads every counter once; nothing here runs on the query path. */
export declare const readStats: Effect.Effect<Stats, never, Blocklists | TlsServerRegistry | Metrics | AnswerCache | QueryHandler | Admission>;
