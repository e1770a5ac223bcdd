/**
 * Counters of TLS session handling (SPEC.md §5), process-wide like `dohStats` and `dotBadInput`: every
 * TLS listener of the process adds to them. `/metrics` and the heartbeat read them as they are.
 */
export interface TlsSessionStats {
    /** handshakes that ran in full (certificate and key exchange) */
    fullHandshakes: number;
    /** handshakes that skipped the certificate, by how the client was recognised */
    readonly resumed: {
        /** a session ticket (TLS 1.3 resumption, or TLS 1.2 RFC 5077) */
        ticket: number;
        /** a TLS 1.2 session id found in the session cache */
        sessionId: number;
        /** a TLS-PSK identity (PROTOCOLS.md §3) */
        psk: number;
    };
    /** ticket keys replaced at a `TICKET_ROTATION` boundary (one per TLS server per boundary) */
    ticketRotations: number;
    /** session-id lookups answered from the session cache */
    sessionCacheHits: number;
    /**
     * session-id lookups the cache could not answer; TLS 1.3 clients offer a random legacy session id, so
     * each of their full handshakes counts here too
     */
    sessionCacheMisses: number;
    /** TLS 1.2 sessions put into the session cache */
    sessionCacheStored: number;
    /** PSK handshakes refused: a non-hex or short identity, or a client whose key does not match */
    pskRefused: number;
}
export declare const tlsSessionStats: TlsSessionStats;
/** A copy of the counters, for a test or a report to compare later. */
export declare const snapshotTlsSessionStats: () => TlsSessionStats;
