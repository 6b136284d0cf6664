import { describe, expect, it } from "vitest";
import { certificateFindings, type CertificateInfo } from "../../../infra/checks/tls-certificate";

const cert = (over: Partial<CertificateInfo>): CertificateInfo => ({
  subject: "app.example.com",
  issuer: "Let's Encrypt / R11",
  validFrom: "2026-01-01T00:00:00.000Z",
  validTo: "2026-04-01T00:00:00.000Z",
  daysLeft: 60,
  trusted: true,
  ...over,
});

describe("certificateFindings", () => {
  it("is info with the days left when valid beyond the warning", () => {
    const [f] = certificateFindings(cert({ daysLeft: 14 }), 14, "u");
    expect(f).toMatchObject({ severity: "info" });
    expect(f!.message).toBe(
      "TLS certificate valid for 14 days, until 2026-04-01 (app.example.com, issued by Let's Encrypt / R11)",
    );
  });

  it("is high inside the warning window", () => {
    const [f] = certificateFindings(cert({ daysLeft: 13 }), 14, "u");
    expect(f).toMatchObject({ id: "health-tls-certificate", severity: "high" });
    expect(f!.message).toContain("expires in 13 days, on 2026-04-01");
    expect(f!.fix).toContain("renew it now");
  });

  it("is high in the singular too", () => {
    expect(certificateFindings(cert({ daysLeft: 1 }), 14, "u")[0]!.message).toContain(
      "expires in 1 day,",
    );
  });

  it("is critical once expired, whatever the trust", () => {
    const [f] = certificateFindings(cert({ daysLeft: -1, trusted: false }), 14, "u");
    expect(f).toMatchObject({ severity: "critical" });
    expect(f!.message).toContain("expired on 2026-04-01");
  });

  it("is high when not trusted, with the reason", () => {
    const [f] = certificateFindings(
      cert({ trusted: false, trustError: "DEPTH_ZERO_SELF_SIGNED_CERT" }),
      14,
      "u",
    );
    expect(f).toMatchObject({ severity: "high" });
    expect(f!.message).toContain("not trusted: DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  it("could not check when no handshake happened", () => {
    const [f] = certificateFindings({ error: "TLS handshake failed (ECONNREFUSED)" }, 14, "u");
    expect(f).toMatchObject({ severity: "medium", couldNotCheck: true });
  });
});
