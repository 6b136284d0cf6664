/**
 * What the rotation resources take, and `check`: validation with the same
 * zod schemas as the stack config (rotatedCredentialSchema, rotationSchema),
 * so a rule is written once. Values the engine does not know yet (preview)
 * pass through unchecked.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { rotatedCredentialSchema, rotationSchema } from "../config/index";
import type { AuditLocation } from "./audit";
import type { GateSettings } from "./gate";
import type { RetiredEntry, Slot } from "./plan";
import type { Alphabet } from "./sources/generic";
import { UNKNOWN } from "./providers/common";
import type { RotationSinkRef } from "./stack-plan";

export interface CredentialInputs {
  stack: string;
  name: string;
  kind: "postgres-login" | "supabase-secret-key" | "generic";
  /** The longest a generation stays current (rotation.credentials[].intervalDays). */
  intervalDays: number;
  /** Read by the policy pack: intervalDays plus the overlap, the longest any value stays valid. */
  maxAgeDays: number;
  overlapMinutes: number;
  epoch: number;
  staggerMinutes: number;
  /** The latest rotation among the credentials declared before this one. */
  after?: string;
  /** Nonces from `npm run rotate`. */
  request?: string;
  emergency?: string;
  rollback?: string;
  /** Where the value goes. Read by the policy pack. */
  sinks: RotationSinkRef[];
  generic?: { length: number; alphabet: Alphabet };
  /** Secret (the owner connection string). */
  postgres?: { connection: string; group: string; logins: [string, string] };
  /** Secret (the access token). */
  supabase?: { apiUrl: string; token: string; projectRef: string };
  audit: AuditLocation;
  providerVersion: string;
}

export interface RevocationInputs {
  stack: string;
  name: string;
  kind: CredentialInputs["kind"];
  generic?: CredentialInputs["generic"];
  postgres?: CredentialInputs["postgres"];
  supabase?: CredentialInputs["supabase"];
  /** The credential's queue (RotatedCredential state.retired). */
  retired: RetiredEntry[];
  current: Slot;
  previous?: { slot: Slot; until: string };
  /** The generation id the health gate verified last (Rollout output). */
  verifiedId: string;
  audit: AuditLocation;
  providerVersion: string;
}

export interface RolloutInputs {
  stack: string;
  /** Credential name → current generation id: what this rollout carries. */
  carries: Record<string, string>;
  /** Names this rollout: the generations and when each became current (a rollback to a known-good generation is a new rollout). */
  rolloutId: string;
  vercel?: { apiUrl: string; token: string; teamId?: string; projects: string[] };
  gates: (GateSettings & { credentials: string[] })[];
  audit: AuditLocation;
  providerVersion: string;
}

type Failure = pulumi.dynamic.CheckFailure;

const c = rotatedCredentialSchema.shape;
const r = rotationSchema.shape;

const credential = z.object({
  stack: z.string().min(1),
  name: c.name,
  kind: z.enum(["postgres-login", "supabase-secret-key", "generic"]),
  intervalDays: c.intervalDays,
  maxAgeDays: z.number().positive(),
  overlapMinutes: c.overlapMinutes,
  epoch: c.epoch,
  staggerMinutes: r.staggerMinutes,
  sinks: z.array(
    z.object({ kind: z.enum(["vercel-env", "github-secret"]), target: z.string().min(1) }).strict(),
  ),
});

function failuresOf(error: z.ZodError): Failure[] {
  return error.issues.map((issue) => ({ property: issue.path.join("."), reason: issue.message }));
}

export async function checkCredentialInputs(
  news: Record<string, unknown>,
): Promise<{ inputs: CredentialInputs; failures: Failure[] }> {
  const known = Object.fromEntries(
    Object.entries(credential.shape).filter(([k]) => news[k] !== UNKNOWN),
  );
  const parsed = z.object(known).safeParse(news);
  const failures = parsed.success ? [] : failuresOf(parsed.error);
  const kind = news.kind;
  const need = (key: "postgres" | "supabase", when: string) => {
    if (kind === when && (news[key] === undefined || news[key] === null))
      failures.push({ property: key, reason: `a ${when} credential needs its ${key} settings` });
  };
  need("postgres", "postgres-login");
  need("supabase", "supabase-secret-key");
  return { inputs: news as unknown as CredentialInputs, failures };
}
