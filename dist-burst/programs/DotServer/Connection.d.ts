import type * as net from "node:net";
import type { Admission } from "../../services/Admission.js";
import type { QueryContext, QueryHandler } from "../../services/QueryHandler.js";
/** Queries one connection may have in flight; past it, reading pauses until answers go out. */
export declare const MAX_IN_FLIGHT_PER_CONNECTION = 128;
/** Bad input seen on DoT connections (SPEC.md §8). */
export declare const dotBadInput: {
    zeroLength: number;
    unreadable: number;
    socketErrors: number;
};
/** What one DoT connection needs from its listener. */
export interface DotConnectionEnv {
    readonly handle: QueryHandler["handle"];
    readonly idleMs: number;
    /** counts a connection closed for idling */
    readonly countTimeout: () => void;
    /** set when debug logging is on */
    readonly logDebug: ((msg: string) => void) | undefined;
    /** the per-client rate limit (`admitQuery`); undefined: none */
    readonly admit: ((message: Buffer, address: string | undefined) => Buffer | undefined) | undefined;
    /** the clock (milliseconds) that the completion of a started message is timed on */
    readonly now: () => number;
}
/**
 * The rate-limit check of one DoT query: undefined when it may go on, else the REFUSED answer to send
 * (the question echoed when it can be read), counted in `Admission`.
 */
export declare const admitQuery: (admission: Admission) => (message: Buffer, address: string | undefined) => Buffer<ArrayBufferLike> | undefined;
/**
 * One RFC 7766 connection, on a TLS socket (DoT) or a plain TCP socket (cleartext DoT under TLS
 * offload): split and pipelined queries, answers written as soon as each is ready (out of order), a
 * per-connection in-flight cap, idle timeout, a started message to be completed within the idle timeout
 * (a client dribbling bytes is cut), half-close honoured (answers still go out after the FIN).
 */
export declare const serveDotConnection: (socket: net.Socket, peer: QueryContext, env: DotConnectionEnv) => void;
