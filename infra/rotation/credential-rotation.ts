/**
 * `CredentialRotation`: the rotation area's resources in their order.
 *
 * 1. `RotatedCredential` per credential, chained (each takes the previous
 *    one's latest rotation time) so staggering can defer a due rotation.
 * 2. The sinks: this program's Vercel/GitHub components (their values are
 *    `rotated`, so the graph orders them after the credentials), or with
 *    delivery `api` the direct-API sinks declared here.
 * 3. `Rollout` (redeploy once per project, wait READY, health gate), which
 *    depends on every sink.
 * 4. `Revocation` per credential, which depends on the rollout and needs the
 *    generation it verified.
 *
 * Constructed in two calls (`new`, then `rollOut(sinks)`) because the sinks
 * are declared by the Vercel and GitHub areas in between.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AuditLocation } from "./audit";
import type { CredentialInputs } from "./inputs";
import { PostgresGroupRole } from "./postgres-group";
import { noncesFor, type RotationRequest } from "./request";
import { RotatedCredential } from "./resources/rotated-credential";
import { Revocation } from "./resources/revocation";
import { Rollout } from "./resources/rollout";
import { GithubSecretsSink, VercelEnvSink } from "./resources/sinks";
import {
  maxAgeDaysOf,
  rolloutId,
  type RotationSinkRef,
  type RotationStackPlan,
} from "./stack-plan";

export interface CredentialRotationArgs {
  stack: string;
  plan: RotationStackPlan;
  staggerMinutes: number;
  /** Owner connection string (secret), for postgres-login credentials. */
  databaseUrl?: pulumi.Input<string>;
  /** Declare the group roles with @pulumi/postgresql (false: the harness does it). */
  declareGroupRoles: boolean;
  supabaseApi?: { url: string; token: pulumi.Input<string> };
  vercelApi?: { url: string; token: pulumi.Input<string>; teamId?: string };
  /** Only with delivery `api`. */
  githubApi?: { url: string; token: pulumi.Input<string>; owner: string; repo: string };
  delivery: "components" | "api";
  audit: pulumi.Input<AuditLocation>;
  request?: RotationRequest;
}

export interface RotatedSummary {
  name: string;
  kind: string;
  maxAgeDays: number;
  sinks: RotationSinkRef[];
  generation: pulumi.Output<number>;
  rotatedAt: pulumi.Output<string>;
  lastAction: pulumi.Output<{ kind: string; reason: string; at: string }>;
}

function latest(times: pulumi.Output<string>[]): pulumi.Output<string> {
  return pulumi
    .all(times)
    .apply((all) => all.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)));
}

export class CredentialRotation extends pulumi.ComponentResource {
  /** Current value by credential name, and `<name>.previous` for generic secrets. Secrets. */
  readonly rotated: Record<string, pulumi.Output<string>> = {};
  readonly credentials = new Map<string, RotatedCredential>();
  readonly summary: RotatedSummary[] = [];
  revocationPending?: pulumi.Output<Record<string, string[]>>;

  constructor(
    private readonly baseName: string,
    private readonly args: CredentialRotationArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("runbooks:rotation:CredentialRotation", baseName, {}, opts);
    const name = baseName;
    // Each credential's `after` is the latest rotation of those declared before it.
    const earlier: pulumi.Output<string>[] = [];
    for (const c of args.plan.credentials) {
      const dependsOn: pulumi.Resource[] = [];
      if (c.roles && args.declareGroupRoles)
        dependsOn.push(
          new PostgresGroupRole(
            `${name}-${c.name}-roles`,
            { declaration: c.roles, connection: args.databaseUrl! },
            { parent: this },
          ),
        );
      const credential = new RotatedCredential(
        `${name}-${c.name}`,
        {
          stack: args.stack,
          name: c.name,
          kind: c.kind,
          intervalDays: c.config.intervalDays,
          maxAgeDays: maxAgeDaysOf(c.config),
          overlapMinutes: c.config.overlapMinutes,
          epoch: c.config.epoch,
          staggerMinutes: args.staggerMinutes,
          ...(earlier.length > 0 ? { after: latest(earlier) } : {}),
          ...noncesFor(c.name, args.request),
          sinks: c.sinks,
          ...(c.kind === "generic"
            ? { generic: { length: c.config.length, alphabet: c.config.alphabet } }
            : {}),
          ...(c.roles
            ? {
                postgres: pulumi
                  .output(args.databaseUrl!)
                  .apply((connection): CredentialInputs["postgres"] => ({
                    connection,
                    group: c.roles!.group,
                    logins: c.roles!.logins,
                  })),
              }
            : {}),
          ...(c.kind === "supabase-secret-key"
            ? {
                supabase: pulumi.output(args.supabaseApi!.token).apply((token) => ({
                  apiUrl: args.supabaseApi!.url,
                  token,
                  projectRef: c.config.projectRef!,
                })),
              }
            : {}),
          audit: args.audit,
        },
        { parent: this, dependsOn },
      );
      earlier.push(credential.rotatedAt);
      this.credentials.set(c.name, credential);
      this.rotated[c.name] = credential.current;
      if (c.kind === "generic") this.rotated[`${c.name}.previous`] = credential.previousOrCurrent;
      this.summary.push({
        name: c.name,
        kind: c.kind,
        maxAgeDays: maxAgeDaysOf(c.config),
        sinks: c.sinks,
        generation: credential.generation,
        rotatedAt: credential.rotatedAt,
        lastAction: credential.lastAction,
      });
    }
  }

  private value(credential: string, slot: "current" | "previous"): pulumi.Output<string> {
    return this.rotated[slot === "previous" ? `${credential}.previous` : credential]!;
  }

  /** Declare what comes after the sinks: direct sinks (delivery api), the rollout and the revocations. */
  rollOut(sinks: pulumi.Resource[]): void {
    const a = this.args;
    const name = this.baseName;
    const after = [...sinks];
    const idOf = (n: string) => this.credentials.get(n)!.currentId;
    if (a.delivery === "api") {
      if (a.plan.vercelSinks.length > 0 && a.vercelApi)
        after.push(
          new VercelEnvSink(
            `${name}-vercel-env`,
            {
              stack: a.stack,
              apiUrl: a.vercelApi.url,
              token: a.vercelApi.token,
              teamId: a.vercelApi.teamId,
              project: a.plan.vercelProjects[0]!,
              variables: pulumi.all(
                a.plan.vercelSinks.map((s) =>
                  pulumi
                    .all([this.value(s.credential, s.slot), idOf(s.credential)])
                    .apply(([value, generationId]) => ({
                      key: s.key,
                      targets: s.targets,
                      ...(s.gitBranch ? { gitBranch: s.gitBranch } : {}),
                      value,
                      credential: s.credential,
                      generationId,
                    })),
                ),
              ),
              audit: a.audit,
            },
            { parent: this },
          ),
        );
      if (a.plan.githubSinks.length > 0 && a.githubApi)
        after.push(
          new GithubSecretsSink(
            `${name}-github-secrets`,
            {
              stack: a.stack,
              apiUrl: a.githubApi.url,
              token: a.githubApi.token,
              owner: a.githubApi.owner,
              repo: a.githubApi.repo,
              secrets: pulumi.all(
                a.plan.githubSinks.map((s) =>
                  pulumi
                    .all([this.value(s.credential, s.slot), idOf(s.credential)])
                    .apply(([value, generationId]) => ({
                      name: s.name,
                      ...(s.environment ? { environment: s.environment } : {}),
                      value,
                      credential: s.credential,
                      generationId,
                    })),
                ),
              ),
              audit: a.audit,
            },
            { parent: this },
          ),
        );
    }
    const carries = pulumi.all(
      Object.fromEntries(a.plan.credentials.map((c) => [c.name, idOf(c.name)])),
    );
    const current = pulumi.all(
      Object.fromEntries(
        a.plan.credentials.map((c) => {
          const cr = this.credentials.get(c.name)!;
          return [
            c.name,
            pulumi
              .all([cr.currentId, cr.rotatedAt])
              .apply(([id, rotatedAt]) => ({ id, rotatedAt })),
          ];
        }),
      ),
    );
    const rollout = new Rollout(
      `${name}-rollout`,
      {
        stack: a.stack,
        carries,
        rolloutId: current.apply(rolloutId),
        ...(a.plan.vercelProjects.length > 0 && a.vercelApi
          ? {
              vercel: pulumi.output(a.vercelApi.token).apply((token) => ({
                apiUrl: a.vercelApi!.url,
                token,
                teamId: a.vercelApi!.teamId,
                projects: a.plan.vercelProjects,
              })),
            }
          : {}),
        gates: a.plan.gates,
        audit: a.audit,
      },
      { parent: this, dependsOn: after },
    );
    const pending: Record<string, pulumi.Output<string[]>> = {};
    for (const c of a.plan.credentials) {
      const credential = this.credentials.get(c.name)!;
      const state = credential.state;
      const revocation = new Revocation(
        `${name}-${c.name}-revocation`,
        {
          stack: a.stack,
          name: c.name,
          kind: c.kind,
          ...(c.kind === "generic"
            ? { generic: { length: c.config.length, alphabet: c.config.alphabet } }
            : {}),
          ...(c.roles
            ? {
                postgres: pulumi.output(a.databaseUrl!).apply((connection) => ({
                  connection,
                  group: c.roles!.group,
                  logins: c.roles!.logins,
                })),
              }
            : {}),
          ...(c.kind === "supabase-secret-key"
            ? {
                supabase: pulumi.output(a.supabaseApi!.token).apply((token) => ({
                  apiUrl: a.supabaseApi!.url,
                  token,
                  projectRef: c.config.projectRef!,
                })),
              }
            : {}),
          // `?.`: a program run under mocks (policy:review) sees no provider outputs at all.
          retired: state.apply((s) => s?.retired ?? []),
          current: state.apply((s) => s?.current),
          previous: state.apply((s) =>
            s?.previous && s.previousExpiresAt
              ? { slot: s.previous, until: s.previousExpiresAt }
              : undefined,
          ),
          verifiedId: rollout.verified.apply((v) => v?.[c.name] ?? ""),
          audit: a.audit,
        },
        { parent: this, dependsOn: [rollout] },
      );
      pending[c.name] = revocation.pending;
    }
    this.revocationPending = pulumi.all(pending);
    this.registerOutputs({ credentials: this.summary.map((s) => s.name) });
  }
}
