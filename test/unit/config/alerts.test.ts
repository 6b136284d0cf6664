import { describe, expect, it } from "vitest";
import {
  DEFAULT_ESCALATION,
  alertsSecrets,
  featuresSchema,
  parseAlerts,
  parseStackConfig,
} from "../../../infra/config/index";
import { context, errorOf, keysOf, thrown, withChange } from "./fixtures";

describe("runbooks:alerts", () => {
  it("rejects a health check over plain http to a public host", () => {
    expect(
      keysOf(withChange((r) => (r.alerts.healthCheck.url = "http://app.acme.example/api/health"))),
    ).toEqual(["runbooks:alerts.healthCheck.url"]);
  });

  it("accepts plain http for loopback health checks", () => {
    const config = parseStackConfig(
      withChange((r) => (r.alerts.healthCheck.url = "http://127.0.0.1:3000/api/health")),
      context,
    );
    expect(config.alerts?.healthCheck.url).toContain("127.0.0.1");
  });

  it("accepts only the health-check intervals Route 53 supports", () => {
    const err = errorOf(withChange((r) => (r.alerts.healthCheck.intervalSeconds = 300)));
    expect(err.problems[0]!.key).toBe("runbooks:alerts.healthCheck.intervalSeconds");
    expect(err.problems[0]!.message).toContain("10 or 30");
  });

  it("bounds the failure threshold to 1–10", () => {
    expect(keysOf(withChange((r) => (r.alerts.healthCheck.failureThreshold = 11)))).toEqual([
      "runbooks:alerts.healthCheck.failureThreshold",
    ]);
  });

  it("names the severities a severity may be", () => {
    const err = errorOf(withChange((r) => (r.alerts.healthCheck.severity = "P7")));
    expect(err.problems[0]!.message).toBe(
      "must be one of P0 | P1 | P2 | P3, but is the string 'P7'",
    );
  });

  it("refuses a P0 route with no subscriber", () => {
    const err = errorOf(withChange((r) => (r.alerts.routes.P0 = { emails: [] })));
    expect(err.problems[0]!.key).toBe("runbooks:alerts.routes.P0");
    expect(err.problems[0]!.message).toContain("reach nobody");
  });

  it("requires a route for every severity", () => {
    expect(keysOf(withChange((r) => delete r.alerts.routes.P3))).toEqual([
      "runbooks:alerts.routes.P3",
    ]);
  });

  it("tells to remove a route for a severity that does not exist, listing the ones that do", () => {
    const err = errorOf(withChange((r) => (r.alerts.routes.P9 = {})));
    expect(err.problems).toEqual([
      {
        key: "runbooks:alerts.routes",
        message: "unknown key 'P9' (the keys here are: P0, P1, P2, P3)",
        fix: "remove 'P9' from 'runbooks:alerts.routes' in stacks/Pulumi.staging.yaml",
      },
    ]);
  });

  it("suggests the route field a typo meant", () => {
    const err = errorOf(withChange((r) => (r.alerts.routes.P1 = { email: ["a@acme.example"] })));
    expect(err.problems[0]!.message).toBe("unknown key 'email'; did you mean 'emails'?");
  });

  it("rejects an escalation table where a lower severity is more urgent", () => {
    const escalation = structuredClone(DEFAULT_ESCALATION);
    escalation.P2.respondWithinMinutes = 30;
    expect(keysOf(withChange((r) => (r.alerts.escalation = escalation)))).toEqual([
      "runbooks:alerts.escalation.P2.respondWithinMinutes",
    ]);
  });

  it("requires all four severities in a custom escalation table", () => {
    const { P3: _dropped, ...escalation } = structuredClone(DEFAULT_ESCALATION);
    expect(keysOf(withChange((r) => (r.alerts.escalation = escalation)))).toEqual([
      "runbooks:alerts.escalation.P3",
    ]);
  });

  it("rejects a malformed e-mail subscriber", () => {
    expect(keysOf(withChange((r) => (r.alerts.routes.P1 = { emails: ["oncall"] })))).toEqual([
      "runbooks:alerts.routes.P1.emails[0]",
    ]);
  });

  it("rejects Slack ids that are not Slack ids", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.alerts.routes.P1 = { chatbot: { slackTeamId: "acme", slackChannelId: "C123" } }),
        ),
      ),
    ).toEqual(["runbooks:alerts.routes.P1.chatbot.slackTeamId"]);
  });

  it("never quotes what was given under a secret-looking key", () => {
    const err = errorOf(withChange((r) => (r.alerts.routes.P1 = { webhookSecretRef: 12345 })));
    expect(err.problems[0]!.message).toBe("must be a string, but is a number");
    expect(err.message).not.toContain("12345");
  });

  it("parseAlerts validates the key alone", () => {
    const err = thrown(() =>
      parseAlerts(
        {
          healthCheck: { url: "ftp://x" },
          routes: { P0: { emails: ["o@acme.example"] }, P1: {}, P2: {}, P3: {} },
        },
        context,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:alerts.healthCheck.url"]);
  });

  it("needs each route's webhook secret, only while the area is on", () => {
    const alerts = parseAlerts(
      {
        healthCheck: { url: "https://app.acme.example/api/health" },
        routes: {
          P0: { webhookSecretRef: "pagerWebhookUrl" },
          P1: { webhookSecretRef: "slackWebhookUrl" },
          P2: {},
          P3: {},
        },
      },
      context,
    );
    const features = featuresSchema.parse({});
    expect(alertsSecrets({ features, alerts }).map((s) => [s.key, s.usedBy])).toEqual([
      ["pagerWebhookUrl", "alerts.routes.P0.webhookSecretRef"],
      ["slackWebhookUrl", "alerts.routes.P1.webhookSecretRef"],
    ]);
    expect(alertsSecrets({ features: { ...features, alerts: false }, alerts })).toEqual([]);
  });
});
