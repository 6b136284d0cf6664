/** `runbooks:alerts`: the health check, the escalation table, who is notified per severity. */
import { z } from "zod";
import { parseWith, type ConfigContext } from "./errors";
import type { Features } from "./features";
import { email, httpsUrl, secretRef, type SecretRequirement } from "./shared";

export const SEVERITIES = ["P0", "P1", "P2", "P3"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The runbook's escalation table, used when a stack does not override it. */
export const DEFAULT_ESCALATION: Record<
  Severity,
  { respondWithinMinutes: number; meaning: string }
> = {
  P0: { respondWithinMinutes: 0, meaning: "Site down or data at risk: respond immediately." },
  P1: { respondWithinMinutes: 60, meaning: "Major feature broken: respond within 1 hour." },
  P2: { respondWithinMinutes: 240, meaning: "Degraded or partial outage: respond within 4 hours." },
  P3: { respondWithinMinutes: 1440, meaning: "Minor issue: respond within 24 hours." },
};

const routeSchema = z
  .object({
    /** E-mail subscribers (they must confirm the SNS subscription). */
    emails: z.array(email).default([]),
    /** Config key of a secret HTTPS webhook (e.g. a Slack incoming webhook). */
    webhookSecretRef: secretRef.optional(),
    /** Slack through AWS Chatbot. */
    chatbot: z
      .object({
        slackTeamId: z.string().regex(/^T[A-Z0-9]+$/, "must be a Slack team id like T0123ABCD"),
        slackChannelId: z
          .string()
          .regex(/^[CG][A-Z0-9]+$/, "must be a Slack channel id like C0123ABCD"),
      })
      .strict()
      .optional(),
  })
  .strict();

export const alertsSchema = z
  .object({
    healthCheck: z
      .object({
        /** Full URL of the app's health endpoint. */
        url: httpsUrl,
        /** Seconds between checks; Route 53 supports 10 or 30. */
        intervalSeconds: z
          .union([z.literal(10), z.literal(30)], {
            message: "must be 10 or 30 (the only intervals Route 53 health checks support)",
          })
          .default(30),
        /** Consecutive failures before the check is unhealthy. */
        failureThreshold: z.number().int().min(1).max(10).default(3),
        /** Severity raised when the app is down. */
        severity: z.enum(SEVERITIES).default("P0"),
        /** p95 latency (ms) `health:check` holds the endpoint to; unset: no budget. */
        latencyBudgetMs: z.number().int().min(1).max(120_000).optional(),
      })
      .strict(),
    /** Response time per severity; defaults to the runbook's table. */
    escalation: z
      .record(
        z.enum(SEVERITIES),
        z
          .object({ respondWithinMinutes: z.number().int().min(0), meaning: z.string().min(1) })
          .strict(),
      )
      .default(DEFAULT_ESCALATION),
    /** Who is notified for each severity. */
    routes: z
      .record(z.enum(SEVERITIES), routeSchema)
      .default({ P0: { emails: [] }, P1: { emails: [] }, P2: { emails: [] }, P3: { emails: [] } }),
    /** Severity of a stale backup. */
    backupSeverity: z.enum(SEVERITIES).default("P1"),
    /** Severity of a budget threshold. */
    budgetSeverity: z.enum(SEVERITIES).default("P2"),
  })
  .strict()
  .superRefine((a, ctx) => {
    let previous = -1;
    for (const s of SEVERITIES) {
      const e = a.escalation[s];
      if (!e) {
        ctx.addIssue({
          code: "custom",
          path: ["escalation", s],
          message: `missing severity ${s}; every one of P0–P3 needs an entry`,
        });
        continue;
      }
      if (e.respondWithinMinutes < previous) {
        ctx.addIssue({
          code: "custom",
          path: ["escalation", s, "respondWithinMinutes"],
          message: `${s} must not be more urgent than the severity before it (${previous} min)`,
        });
      }
      previous = e.respondWithinMinutes;
      if (!a.routes[s]) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", s],
          message: `missing route for ${s}; add at least an empty entry so the topic exists`,
        });
      }
    }
    const p0 = a.routes.P0;
    if (p0 && p0.emails.length === 0 && !p0.webhookSecretRef && !p0.chatbot) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", "P0"],
        message:
          "P0 has no subscriber (emails, webhookSecretRef or chatbot); a site-down alert would reach nobody",
      });
    }
  });

export type AlertsConfig = z.infer<typeof alertsSchema>;

/** Validate `runbooks:alerts` alone. Throws `ConfigError`. */
export function parseAlerts(raw: unknown, context: ConfigContext): AlertsConfig {
  return parseWith(alertsSchema, raw, context, ["alerts"]);
}

/** The webhooks the severity routes post to, when the area is on. */
export function alertsSecrets(config: {
  features: Features;
  alerts?: AlertsConfig;
}): SecretRequirement[] {
  if (!config.features.alerts) return [];
  return SEVERITIES.flatMap((s) => {
    const ref = config.alerts?.routes[s]?.webhookSecretRef;
    return ref
      ? [
          {
            key: ref,
            usedBy: `alerts.routes.${s}.webhookSecretRef`,
            example: "https://hooks.slack.com/services/<…>",
          },
        ]
      : [];
  });
}
