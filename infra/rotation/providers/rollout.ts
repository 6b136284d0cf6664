/**
 * The dynamic provider behind `Rollout`: after every sink is written,
 * redeploy each affected Vercel project's production deployment once (not
 * once per secret), wait for READY, then run the health gate. Its output
 * `verified` (credential → generation id) is what a Revocation needs before
 * it revokes anything.
 *
 * A failure (a redeploy that ends CANCELED/ERROR/BLOCKED, a gate that never
 * passes) fails the step with what to do; nothing after it runs, so nothing
 * is revoked and both credentials stay valid.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { IdentifiedProvider } from "../../lib/dynamic/types";
import { describeGate, runGate } from "../gate";
import type { RolloutInputs } from "../inputs";
import { redeployProduction, type RedeployResult } from "../redeploy";
import { audit, pauseAfter, plain } from "./common";

export const ROLLOUT_PROVIDER_ID = "runbooks:rotation:Rollout";

export interface RolloutOutputs extends RolloutInputs {
  deployments: Record<string, { deploymentId: string; adopted: boolean }>;
  /** Credential → the generation id the gate verified. */
  verified: Record<string, string>;
  verifiedAt: string;
}

export function createRolloutProvider(): IdentifiedProvider<RolloutInputs, RolloutOutputs> &
  Required<
    Pick<
      pulumi.dynamic.ResourceProvider<RolloutInputs, RolloutOutputs>,
      "diff" | "update" | "read" | "delete"
    >
  > {
  const roll = async (i: RolloutInputs): Promise<RolloutOutputs> => {
    const key = i.rolloutId;
    const deployments: RolloutOutputs["deployments"] = {};
    const generations = (names: string[]) =>
      Object.fromEntries(names.map((n) => [n, i.carries[n]]));
    if (i.vercel) {
      const results = await Promise.allSettled(
        i.vercel.projects.map((project) =>
          redeployProduction(i.vercel!, project, { rollout: key }).then(
            (r): [string, RedeployResult] => [project, r],
          ),
        ),
      );
      const failed = results.flatMap((r) =>
        r.status === "rejected" ? [(r.reason as Error).message] : [],
      );
      for (const r of results) if (r.status === "fulfilled") deployments[r.value[0]] = r.value[1];
      for (const name of Object.keys(i.carries))
        await audit(i.audit, {
          stack: i.stack,
          credential: name,
          event: failed.length ? "failed" : "deployed",
          detail: {
            step: "redeploy",
            generation: i.carries[name],
            deployments,
            ...(failed.length ? { errors: failed } : {}),
          },
        });
      if (failed.length > 0)
        throw new Error(
          `redeploy failed, so nothing was revoked and every previous credential is still valid:\n  - ${failed.join("\n  - ")}\n` +
            `The sinks hold the new values. Fix the deployment and run \`pulumi up\` (or \`npm run rotate -- -s ${i.stack}\`) again, or point the sinks back with \`npm run rotate -- -s ${i.stack} --rollback <credential>\`.`,
        );
      await pauseAfter("deployed");
    }
    const problems: string[] = [];
    for (const gate of i.gates) {
      const result = await runGate(gate);
      const summary = describeGate(result, gate.passes);
      for (const name of gate.credentials)
        await audit(i.audit, {
          stack: i.stack,
          credential: name,
          event: result.passed ? "verified" : "failed",
          detail: {
            step: "health gate",
            url: result.url,
            generation: i.carries[name],
            attempts: result.attempts.map((a) => ({
              ok: a.ok,
              status: a.statusCode ?? null,
              ms: Math.round(a.latencyMs),
              error: a.error ?? null,
            })),
          },
        });
      if (!result.passed)
        problems.push(
          `${summary}; credentials behind it: ${gate.credentials.join(", ")} (${JSON.stringify(generations(gate.credentials))})`,
        );
    }
    if (problems.length > 0)
      throw new Error(
        `health gate failed: ${problems.join("; ")}. Nothing was revoked: the new and the previous credentials are both valid. ` +
          `\`npm run rotate\` points the sinks back to the last known-good credential by itself; after a plain pulumi up run ` +
          `\`npm run rotate -- -s ${i.stack} --rollback <credential>\`, then find out why the app is unhealthy with the new credential before rotating again.`,
      );
    await pauseAfter("verified");
    return plain({
      ...i,
      deployments: Object.fromEntries(
        Object.entries(deployments).map(([p, d]) => [
          p,
          { deploymentId: d.deploymentId, adopted: d.adopted },
        ]),
      ),
      verified: { ...i.carries },
      verifiedAt: new Date().toISOString(),
    });
  };
  return {
    providerId: ROLLOUT_PROVIDER_ID,
    // Inputs are built by this program from validated config; nothing to normalize.
    async check(_olds, news) {
      return { inputs: news };
    },
    async diff(_id, olds, news) {
      // Only what the rollout carries matters: a new generation anywhere means a redeploy and a gate.
      return { changes: olds.rolloutId !== news.rolloutId || olds.verified === undefined };
    },
    async create(inputs) {
      return { id: `${inputs.stack}/rollout`, outs: await roll(inputs) };
    },
    async read(id, props) {
      if (!props) throw new Error(`cannot import ${id}`);
      return { id, props };
    },
    async update(_id, _olds, news) {
      return { outs: await roll(news) };
    },
    async delete() {
      // A deployment is history, not something to take back.
    },
  };
}
