/**
 * The health endpoint's TLS certificate: when it expires and whether this
 * machine trusts it. An expiring certificate is the outage that announces
 * itself weeks ahead; reading it from the same endpoint the health check
 * probes costs one handshake.
 *
 * The handshake accepts any certificate (rejectUnauthorized: false) so that
 * an expired or untrusted one can still be read and named; trust is then
 * reported from the chain check and the host name check, separately.
 */
import { isIP } from "node:net";
import { checkServerIdentity, connect, type PeerCertificate } from "node:tls";
import type { Finding } from "../lib/findings";

export interface CertificateInfo {
  /** The certificate's subject common name, or its first DNS name. */
  subject: string;
  issuer: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** Whole days until `validTo` (negative once expired). */
  daysLeft: number;
  /** The chain verifies against this machine's CA store (or the given CA) and the name matches. */
  trusted: boolean;
  /** Why not trusted: the OpenSSL code, or the host name mismatch. */
  trustError?: string;
}

export interface ReadCertificateOptions {
  timeoutMs: number;
  /** Extra CA certificates to trust (PEM), as a private CA would need. */
  ca?: string | Buffer;
  now?: () => number;
}

const DAY_MS = 86_400_000;

function nameOf(cert: PeerCertificate): string {
  const cn = cert.subject?.CN;
  if (typeof cn === "string" && cn) return cn;
  const dns = /DNS:([^,\s]+)/.exec(cert.subjectaltname ?? "");
  return dns?.[1] ?? "(no subject)";
}

function issuerOf(cert: PeerCertificate): string {
  const i = cert.issuer ?? {};
  return [i.O, i.CN].filter((s): s is string => typeof s === "string" && s !== "").join(" / ");
}

/** Handshake with the URL's host and read its certificate; rejects with a plain message when no handshake happens. */
export function readCertificate(
  url: string,
  options: ReadCertificateOptions,
): Promise<CertificateInfo> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const port = Number(parsed.port || 443);
  const now = options.now ?? Date.now;
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      // SNI carries a name, never an address.
      ...(isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
      ...(options.ca ? { ca: options.ca } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TLS handshake timed out (limit ${options.timeoutMs} ms)`));
    }, options.timeoutMs);
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`TLS handshake failed (${error.code ?? error.message})`));
    });
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      const authorized = socket.authorized;
      const chainError = socket.authorizationError ? String(socket.authorizationError) : undefined;
      socket.end();
      if (!cert || Object.keys(cert).length === 0) {
        reject(new Error("the server sent no certificate"));
        return;
      }
      const identity = checkServerIdentity(host, cert);
      const validTo = new Date(cert.valid_to);
      resolve({
        subject: nameOf(cert),
        issuer: issuerOf(cert),
        validFrom: new Date(cert.valid_from).toISOString(),
        validTo: validTo.toISOString(),
        daysLeft: Math.floor((validTo.getTime() - now()) / DAY_MS),
        trusted: authorized && identity === undefined,
        ...(chainError
          ? { trustError: chainError }
          : identity
            ? { trustError: `name mismatch: ${identity.message}` }
            : {}),
      });
    });
  });
}

/**
 * The certificate as one finding: expired is critical, untrusted or expiring
 * within `warnDays` is high (renew it now: a certificate renewal that fails
 * silently is common), otherwise info with the days left.
 */
export function certificateFindings(
  cert: CertificateInfo | { error: string },
  warnDays: number,
  subject: string,
): Finding[] {
  const id = "health-tls-certificate";
  if ("error" in cert)
    return [
      {
        id,
        severity: "medium",
        subject,
        message: `TLS certificate: could not read it — ${cert.error}`,
        fix: "see the health finding; check the endpoint with: openssl s_client -connect <host>:443 -servername <host>",
        couldNotCheck: true,
      },
    ];
  const when = `${cert.validTo.slice(0, 10)}`;
  const who = `${cert.subject}${cert.issuer ? `, issued by ${cert.issuer}` : ""}`;
  if (cert.daysLeft < 0)
    return [
      {
        id,
        severity: "critical",
        subject,
        message: `TLS certificate expired on ${when} (${who})`,
        fix: "renew the certificate now (on Vercel: Project → Settings → Domains shows the renewal error, usually DNS no longer pointing at Vercel).",
      },
    ];
  if (!cert.trusted)
    return [
      {
        id,
        severity: "high",
        subject,
        message: `TLS certificate is not trusted: ${cert.trustError ?? "unknown reason"} (${who}, expires ${when})`,
        fix: "browsers refuse it too: serve a certificate from a public CA for this host name, with its intermediate certificates.",
      },
    ];
  const days = `${cert.daysLeft} day${cert.daysLeft === 1 ? "" : "s"}`;
  if (cert.daysLeft < warnDays)
    return [
      {
        id,
        severity: "high",
        subject,
        message: `TLS certificate expires in ${days}, on ${when} (${who}); warning from ${warnDays} days`,
        fix: "renew it now, and find out why automatic renewal has not happened (on Vercel: Project → Settings → Domains).",
      },
    ];
  return [
    {
      id,
      severity: "info",
      subject,
      message: `TLS certificate valid for ${days}, until ${when} (${who})`,
      fix: "",
    },
  ];
}
