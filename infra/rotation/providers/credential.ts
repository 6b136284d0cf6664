/**
 * The dynamic provider behind `RotatedCredential`: one credential's
 * generations. `diff` asks the rotation plan (plan.ts) whether anything is
 * due, so `preview` lists exactly the credentials an `up` would rotate;
 * `update` carries the action out through the credential's source.
 *
 * Nothing here revokes: a retired generation only joins the queue in state,
 * and the Revocation resource, which the graph runs after the sinks, the
 * redeploy and the health gate, revokes it.
 *
 * Credentials arrive as secret inputs and live only in the method calls.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { IdentifiedProvider } from "../../lib/dynamic/types";
import { rotationNow } from "../clock";
import {
  chainLatest,
  created,
  decide,
  previousExpired,
  rolledBack,
  rotated,
  type Action,
  type CredentialState,
  type Triggers,
} from "../plan";
import { sourceFor } from "../sources";
import { audit, isUnknown, pauseAfter, plain, StepFailedWithState } from "./common";
import { checkCredentialInputs, type CredentialInputs } from "../inputs";

export const CREDENTIAL_PROVIDER_ID = "runbooks:rotation:Credential";

export interface CredentialOutputs extends CredentialInputs {
  state: CredentialState;
  /** The value every sink receives. Secret. */
  current: string;
  /** The previous value while it is still valid. Secret. */
  previous?: string;
  /** NAME_PREVIOUS for generic secrets: the previous value, or the current when there is none. Secret. */
  previousOrCurrent: string;
  currentId: string;
  generation: number;
  rotatedAt: string;
  /** The latest rotation of this credential and those before it: the next credential's `after`. */
  chainLatest: string;
  lastAction: { kind: Action["kind"]; reason: string; at: string };
}

function triggers(i: CredentialInputs): Triggers {
  return {
    intervalDays: i.intervalDays,
    overlapMinutes: i.overlapMinutes,
    epoch: i.epoch,
    request: i.request,
    emergency: i.emergency,
    rollback: i.rollback,
    staggerMinutes: i.staggerMinutes,
    after: i.after === undefined || isUnknown(i.after) ? undefined : i.after,
  };
}

/** The declaration a change of which is an update even when nothing is due. */
function declared(i: CredentialInputs): string {
  return JSON.stringify([
    i.name,
    i.kind,
    i.intervalDays,
    i.overlapMinutes,
    i.sinks,
    i.generic,
    i.audit,
  ]);
}

function outputsOf(
  inputs: CredentialInputs,
  state: CredentialState,
  values: { current: string; previous?: string },
  action: Action,
  now: Date,
): CredentialOutputs {
  return plain({
    ...inputs,
    state,
    current: values.current,
    ...(values.previous !== undefined ? { previous: values.previous } : {}),
    previousOrCurrent: values.previous ?? values.current,
    currentId: state.current.id,
    generation: state.current.generation,
    rotatedAt: state.rotatedAt,
    chainLatest: chainLatest(state, triggers(inputs).after),
    lastAction: { kind: action.kind, reason: action.reason, at: now.toISOString() },
  });
}

export type CredentialProvider = IdentifiedProvider<CredentialInputs, CredentialOutputs> &
  Required<
    Pick<
      pulumi.dynamic.ResourceProvider<CredentialInputs, CredentialOutputs>,
      "check" | "diff" | "read" | "update" | "delete"
    >
  >;

export function createCredentialProvider(): CredentialProvider {
  const record = async (
    inputs: CredentialInputs,
    outs: CredentialOutputs,
    id: string,
    event: "created" | "expired" | "rolled-back",
    detail: Record<string, unknown>,
  ) => {
    try {
      await audit(inputs.audit, {
        stack: inputs.stack,
        credential: inputs.name,
        event,
        generation: outs.generation,
        detail,
      });
    } catch (error) {
      throw new StepFailedWithState(
        `${inputs.name}: ${event} generation ${outs.generation}, but the audit log could not be written: ${(error as Error).message}`,
        id,
        outs as unknown as Record<string, unknown>,
      );
    }
  };

  return {
    providerId: CREDENTIAL_PROVIDER_ID,

    async check(_olds, news) {
      return checkCredentialInputs(news as unknown as Record<string, unknown>);
    },

    async diff(_id, olds, news) {
      const action = decide(olds.state, triggers(news), rotationNow());
      const replaces = olds.name !== news.name || olds.kind !== news.kind ? ["kind"] : [];
      return {
        changes: action.kind !== "none" || declared(olds) !== declared(news) || replaces.length > 0,
        replaces,
        deleteBeforeReplace: true,
      };
    },

    async create(inputs) {
      const now = rotationNow();
      const made = await sourceFor(inputs).create(1, undefined);
      const state = created(made.slot, triggers(inputs), now);
      const outs = outputsOf(
        inputs,
        state,
        { current: made.value },
        { kind: "create", reason: "first generation" },
        now,
      );
      const id = `${inputs.stack}/${inputs.name}`;
      await record(inputs, outs, id, "created", {
        id: made.slot.id,
        ...made.slot.detail,
        reason: "first generation",
        sinks: inputs.sinks,
      });
      await pauseAfter("created");
      return { id, outs };
    },

    async read(id, props) {
      if (!props)
        throw new Error(
          `cannot import rotated credential ${id}: declare it in runbooks:rotation.credentials`,
        );
      return { id, props };
    },

    async update(id, olds, news) {
      const now = rotationNow();
      const t = triggers(news);
      const action = decide(olds.state, t, now);
      const values = { current: olds.current, previous: olds.previous };
      let state = olds.state;
      switch (action.kind) {
        case "rotate": {
          const made = await sourceFor(news).create(olds.state.generation + 1, olds.state.current);
          state = rotated(olds.state, made.slot, t, action.emergency, now);
          const outs = outputsOf(
            news,
            state,
            { current: made.value, previous: action.emergency ? undefined : olds.current },
            action,
            now,
          );
          await record(news, outs, id, "created", {
            id: made.slot.id,
            ...made.slot.detail,
            reason: action.reason,
            emergency: action.emergency,
            previous: state.previous?.id ?? null,
            queuedForRevocation: state.retired
              .filter((r) => r.retiredAt === now.toISOString())
              .map((r) => r.id),
            sinks: news.sinks,
          });
          await pauseAfter("created");
          return { outs };
        }
        case "expire-previous": {
          state = previousExpired(olds.state, t, now);
          const outs = outputsOf(news, state, { current: values.current }, action, now);
          await record(news, outs, id, "expired", {
            id: olds.state.previous?.id,
            reason: action.reason,
          });
          return { outs };
        }
        case "rollback": {
          state = rolledBack(olds.state, t, now);
          const outs = outputsOf(
            news,
            state,
            { current: values.previous!, previous: values.current },
            action,
            now,
          );
          await record(news, outs, id, "rolled-back", {
            id: state.current.id,
            keptValid: state.previous?.id,
            reason: action.reason,
          });
          return { outs };
        }
        default:
          return { outs: outputsOf(news, state, values, action, now) };
      }
    },

    async delete() {
      // Destroying the stack stops managing the credential; it does not cut off an app
      // that may still use it. The README says how to revoke by hand.
    },
  };
}
