import * as x509 from "@peculiar/x509";
import { Data, Either, Redacted } from "effect";
import * as crypto from "node:crypto";
import { withoutStack } from "../OperatorError.js";
x509.cryptoProvider.set(crypto.webcrypto);
export class CertError extends Data.TaggedError("CertError") {
    constructor(args) {
        super(args);
        withoutStack(this);
    }
    get message() {
        return `certificate from ${this.source}: ${this.reason}: ${this.detail}`;
    }
}
const errorText = (e) => (e instanceof Error ? e.message : String(e));
/**
 * Parses a PEM chain and key into a `CertKeyPair`, checking that the key belongs to the leaf.
 * Never puts key material into an error.
 */
export const parseCertKey = (certPem, keyPem, source) => {
    let leaf;
    try {
        const first = certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
        if (first === null)
            throw new Error("no PEM certificate found");
        leaf = new x509.X509Certificate(first[0]);
    }
    catch (e) {
        return Either.left(new CertError({ source, reason: "Parse", detail: `certificate: ${errorText(e)}` }));
    }
    let privateKey;
    try {
        privateKey = crypto.createPrivateKey(keyPem);
    }
    catch {
        return Either.left(new CertError({ source, reason: "Parse", detail: "private key is not a readable PEM key" }));
    }
    const leafNode = new crypto.X509Certificate(Buffer.from(leaf.rawData));
    if (!leafNode.checkPrivateKey(privateKey)) {
        return Either.left(new CertError({ source, reason: "KeyMismatch", detail: "private key does not match the certificate" }));
    }
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
    const names = san?.names.toJSON() ?? [];
    return Either.right({
        certPem,
        keyPem: Redacted.make(keyPem),
        notBefore: leaf.notBefore,
        notAfter: leaf.notAfter,
        subject: leaf.subject,
        dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value.toLowerCase()),
        ipAddresses: names.filter((n) => n.type === "ip").map((n) => n.value),
        fingerprint: leafNode.fingerprint256.replaceAll(":", "").toLowerCase(),
        source
    });
};
/**
 * Reads the `KEY=<base64 PEM>` / `CRT=<base64 PEM>` format of `TLS_CERTKEY` and of the certificate
 * service (either order; a literal two-character `\n` counts as a newline).
 */
export const parseKeyCrtLines = (text, source) => {
    let key;
    let crt;
    for (const line of text.replaceAll("\\n", "\n").split(/\r?\n/)) {
        const l = line.trim();
        if (l.startsWith("KEY="))
            key = Buffer.from(l.slice(4), "base64").toString("utf8");
        else if (l.startsWith("CRT="))
            crt = Buffer.from(l.slice(4), "base64").toString("utf8");
    }
    if (key === undefined || crt === undefined) {
        const missing = [key === undefined ? "KEY=" : "", crt === undefined ? "CRT=" : ""].filter((s) => s !== "");
        return Either.left(new CertError({ source, reason: "Parse", detail: `no ${missing.join(" and no ")} line` }));
    }
    return parseCertKey(crt, key, source);
};
/** Mints a self-signed ECDSA P-256 certificate for `localhost`, `127.0.0.1` and `::1`. */
export const mintSelfSigned = async (now, validDays) => {
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = await crypto.webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: crypto.randomBytes(16).toString("hex").replace(/^[89a-f]/, "1"),
        name: "CN=localhost",
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: new Date(now.getTime() + validDays * 86_400_000),
        signingAlgorithm: alg,
        keys,
        extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
            new x509.SubjectAlternativeNameExtension([
                { type: "dns", value: "localhost" },
                { type: "ip", value: "127.0.0.1" },
                { type: "ip", value: "::1" }
            ])
        ]
    });
    const pkcs8 = await crypto.webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
    const keyPem = x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
    return { certPem: cert.toString("pem") + "\n", keyPem: keyPem + "\n" };
};
//# sourceMappingURL=Pem.js.map