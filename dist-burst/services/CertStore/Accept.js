/** Does a certificate name (possibly `*.example.com`) cover `name`? RFC 6125 §6.4.3: one left-most label. */
const covers = (pattern, name) => {
    if (pattern === name)
        return true;
    if (!pattern.startsWith("*."))
        return false;
    const suffix = pattern.slice(1); // ".example.com"
    if (name.startsWith("*."))
        return name.slice(1) === suffix;
    return name.endsWith(suffix) && !name.slice(0, -suffix.length).includes(".") && name.length > suffix.length;
};
/**
 * SPEC.md §4: a candidate is taken only if it covers every DNS name of the current certificate, is valid
 * now and expires later than the current one; the same certificate again is "not renewed yet". The
 * self-signed default names only localhost, so a certificate replacing it need not cover those names.
 */
export const judge = (current, candidate, now, currentIsDefault) => {
    if (candidate.fingerprint === current.fingerprint)
        return { _tag: "Same" };
    if (!currentIsDefault) {
        const missing = current.dnsNames.filter((n) => !candidate.dnsNames.some((p) => covers(p, n)));
        if (missing.length > 0)
            return { _tag: "Reject", rejection: { check: "names", missing } };
    }
    if (now < candidate.notBefore.getTime() || now >= candidate.notAfter.getTime()) {
        return {
            _tag: "Reject",
            rejection: { check: "validNow", notBefore: candidate.notBefore, notAfter: candidate.notAfter }
        };
    }
    if (candidate.notAfter.getTime() <= current.notAfter.getTime()) {
        return {
            _tag: "Reject",
            rejection: { check: "expiresLater", candidate: candidate.notAfter, current: current.notAfter }
        };
    }
    return { _tag: "Accept" };
};
export const describeRejection = (r) => {
    switch (r.check) {
        case "names":
            return `it does not cover ${r.missing.join(", ")} of the current certificate`;
        case "validNow":
            return `it is not valid now (valid ${r.notBefore.toISOString()} to ${r.notAfter.toISOString()})`;
        case "expiresLater":
            return `it expires ${r.candidate.toISOString()}, not later than the current ${r.current.toISOString()}`;
    }
};
//# sourceMappingURL=Accept.js.map