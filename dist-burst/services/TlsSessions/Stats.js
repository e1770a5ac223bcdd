export const tlsSessionStats = {
    fullHandshakes: 0,
    resumed: { ticket: 0, sessionId: 0, psk: 0 },
    ticketRotations: 0,
    sessionCacheHits: 0,
    sessionCacheMisses: 0,
    sessionCacheStored: 0,
    pskRefused: 0
};
/** A copy of the counters, for a test or a report to compare later. */
export const snapshotTlsSessionStats = () => ({
    ...tlsSessionStats,
    resumed: { ...tlsSessionStats.resumed }
});
//# sourceMappingURL=Stats.js.map