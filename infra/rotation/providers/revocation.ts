/**
 * The dynamic provider behind `Revocation`: after the health gate verified
 * the current generation, settle the sources (the current login stays valid,
 * the previous one expires by itself when its overlap ends) and revoke every
 * generation in the credential's queue. Idempotent: revoking twice is fine.
 *
 * A revocation that fails keeps its id pending: the step fails with the new
 * state recorded (what was revoked is remembered, what was not stays queued),
 * and every later `up` retries until it succeeds.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { IdentifiedProvider } from "../../lib/dynamic/types";
import type { RevocationInputs } from "../inputs";
import { pendingRevocations, withRevoked } from "../revocation";
import { sourceFor } from "../sources";
import { audit, isUnknown, pauseAfter, plain, StepFailedWithState } from "./common";

export const REVOCATION_PROVIDER_ID = "runbooks:rotation:Revocation";

export interface RevocationOutputs extends RevocationInputs {
  revoked: string[];
  pending: string[];
  /** The generation id the last successful settle kept valid. */
  settled: string;
  settledUntil?: string;
}

export function createRevocationProvider(): IdentifiedProvider<
  RevocationInputs,
  RevocationOutputs
> &
  Required<
    Pick<
      pulumi.dynamic.ResourceProvider<RevocationInputs, RevocationOutputs>,
      "diff" | "update" | "read" | "delete"
    >
  > {
  const revoke = async (
    id: string,
    i: RevocationInputs,
    revokedBefore: string[],
  ): Promise<RevocationOutputs> => {
    if (i.verifiedId !== i.current.id)
      throw new Error(
        `${i.name}: generation ${i.current.id} was not verified by the health gate (last verified: ${i.verifiedId || "none"}); nothing is revoked until it is`,
      );
    const source = sourceFor(i);
    const live = [i.current, ...(i.previous ? [i.previous.slot] : [])];
    await source.settle?.(i.current, i.previous);
    let revoked = revokedBefore;
    const errors: string[] = [];
    for (const entry of pendingRevocations(i.retired, revoked, live)) {
      try {
        const { detail } = await source.revoke(entry, live);
        revoked = withRevoked(revoked, [entry.id]);
        await audit(i.audit, {
          stack: i.stack,
          credential: i.name,
          event: "revoked",
          generation: entry.generation,
          detail: { id: entry.id, reason: entry.reason, ...detail },
        });
        await pauseAfter("revoked");
      } catch (error) {
        const message = (error as Error).message;
        errors.push(`${entry.id}: ${message}`);
        await audit(i.audit, {
          stack: i.stack,
          credential: i.name,
          event: "failed",
          generation: entry.generation,
          detail: { step: "revoke", id: entry.id, error: message },
        }).catch(() => undefined);
      }
    }
    const pending = pendingRevocations(i.retired, revoked, live).map((r) => r.id);
    const outs: RevocationOutputs = plain({
      ...i,
      revoked,
      pending,
      settled: i.current.id,
      ...(i.previous ? { settledUntil: i.previous.until } : {}),
    });
    if (errors.length > 0)
      throw new StepFailedWithState(
        `${i.name}: ${errors.length} revocation(s) failed and stay queued (the next pulumi up retries them):\n  - ${errors.join("\n  - ")}`,
        id,
        outs as unknown as Record<string, unknown>,
      );
    return outs;
  };
  return {
    providerId: REVOCATION_PROVIDER_ID,
    // Inputs are built by this program from validated config; nothing to normalize.
    async check(_olds, news) {
      return { inputs: news };
    },
    async diff(_id, olds, news) {
      // During a preview whose credential rotates, its queue is not known yet: a change.
      if (Object.values(news).some(isUnknown)) return { changes: true };
      const live = [news.current, ...(news.previous ? [news.previous.slot] : [])];
      const pending = pendingRevocations(news.retired, olds.revoked ?? [], live).length > 0;
      return {
        changes:
          pending ||
          (olds.pending ?? []).length > 0 ||
          olds.settled !== news.current.id ||
          olds.settledUntil !== news.previous?.until ||
          olds.verifiedId !== news.verifiedId,
      };
    },
    async create(inputs) {
      const id = `${inputs.stack}/${inputs.name}/revocation`;
      return { id, outs: await revoke(id, inputs, []) };
    },
    async read(id, props) {
      if (!props) throw new Error(`cannot import ${id}`);
      return { id, props };
    },
    async update(id, olds, news) {
      return { outs: await revoke(id, news, olds.revoked ?? []) };
    },
    async delete() {
      // Nothing to undo: a revoked credential stays revoked.
    },
  };
}
