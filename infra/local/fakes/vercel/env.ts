/**
 * Vercel environment variables' rules: which create bodies the REST API
 * accepts, which items of a batch fail on their own (sensitive in
 * Development, a branch outside Preview, a conflict without `upsert`), how a
 * write seals the value, and how a stored value is shown (a `sensitive` one
 * never, an `encrypted` one only when decryption is asked for). The routes
 * and the test controls both go through these, so seeding obeys the API's rules.
 */
import { randomId } from "../secret-box";
import type { EnvRecord, ProjectRecord, VercelStore } from "./store";
import type { EnvTarget, EnvType, SeedEnv } from "./types";

const ENV_TYPES: readonly EnvType[] = ["system", "encrypted", "plain", "sensitive"];
const ENV_TARGETS: readonly EnvTarget[] = ["production", "preview", "development"];

/** An env var as the list/edit/delete calls return it: encrypted values stay encrypted. */
export const envBody = ({ box }: VercelStore, e: EnvRecord, decrypt: boolean) => {
  let value: string;
  let decrypted = false;
  if (e.type === "sensitive") value = "";
  else if (e.type === "plain" || decrypt) {
    value = box.open(e.sealed);
    decrypted = e.type !== "plain";
  } else value = e.sealed;
  return {
    id: e.id,
    key: e.key,
    value,
    type: e.type,
    target: e.target,
    ...(e.gitBranch ? { gitBranch: e.gitBranch } : {}),
    ...(e.comment !== undefined ? { comment: e.comment } : {}),
    configurationId: null,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    createdBy: e.createdBy,
    updatedBy: e.updatedBy,
    decrypted,
  };
};

export const conflicts = (
  a: { key: string; target: EnvTarget[]; gitBranch?: string },
  b: EnvRecord,
) =>
  a.key === b.key &&
  (a.gitBranch ?? "") === (b.gitBranch ?? "") &&
  a.target.some((t) => b.target.includes(t));

/** One variable to write, from a request or a seed: the same fields either way. */
export type EnvInput = SeedEnv;

/** Schema checks of one create item; a failure rejects the whole request with 400. */
export const parseEnvInput = (raw: unknown, where: string): EnvInput | string => {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return `${where} should be object.`;
  const o = raw as Record<string, unknown>;
  const allowed = [
    "key",
    "value",
    "type",
    "target",
    "gitBranch",
    "comment",
    "customEnvironmentIds",
  ];
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  if (extra) return `${where} should NOT have additional property \`${extra}\`.`;
  if (typeof o.key !== "string" || o.key.length === 0)
    return `${where} missing required property \`key\`.`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.key))
    return `${where}.key \`${o.key}\` may only contain letters, digits and underscores and must not start with a digit.`;
  if (typeof o.value !== "string") return `${where} missing required property \`value\`.`;
  if (typeof o.type !== "string" || !ENV_TYPES.includes(o.type as EnvType))
    return `${where}.type should be equal to one of the allowed values: ${ENV_TYPES.join(", ")}.`;
  if (!Array.isArray(o.target) || o.target.length === 0)
    return `${where} missing required property \`target\`.`;
  const badTarget = o.target.find((t) => !ENV_TARGETS.includes(t as EnvTarget));
  if (badTarget !== undefined)
    return `${where}.target should be equal to one of the allowed values: ${ENV_TARGETS.join(", ")}.`;
  if (o.gitBranch !== undefined && o.gitBranch !== null && typeof o.gitBranch !== "string")
    return `${where}.gitBranch should be string.`;
  if (o.comment !== undefined && typeof o.comment !== "string")
    return `${where}.comment should be string.`;
  return {
    key: o.key,
    value: o.value,
    type: o.type as EnvType,
    target: [...new Set(o.target as EnvTarget[])],
    ...(typeof o.gitBranch === "string" && o.gitBranch ? { gitBranch: o.gitBranch } : {}),
    ...(typeof o.comment === "string" ? { comment: o.comment } : {}),
  };
};

/** Rules that fail one item but let the rest of a batch through. */
export const itemError = (input: EnvInput, project: ProjectRecord, upsert: boolean) => {
  if (input.type === "sensitive" && input.target.includes("development"))
    return {
      code: "bad_request",
      message: "Sensitive environment variables cannot be created in the Development environment.",
      key: input.key,
      target: input.target,
    };
  if (input.gitBranch && !input.target.every((t) => t === "preview"))
    return {
      code: "bad_request",
      message: "A Git branch can only be set for the Preview environment.",
      key: input.key,
      target: input.target,
    };
  const existing = project.envs.find((e) => conflicts(input, e));
  if (existing && !upsert)
    return {
      // The SDK types `code` as a plain string and no vendor page names
      // the conflict code: ENV_CONFLICT is this stand-in's choice, so
      // clients should key on the failed item's `key`, not on the code.
      code: "ENV_CONFLICT",
      message: `A variable with the name \`${input.key}\` already exists for the target ${existing.target.join(",")} on branch ${existing.gitBranch ?? "undefined"}`,
      key: input.key,
      envVarId: existing.id,
      envVarKey: existing.key,
      target: input.target,
    };
  return undefined;
};

export const writeEnv = (
  { box, user, now }: VercelStore,
  project: ProjectRecord,
  input: EnvInput,
): EnvRecord => {
  const t = now();
  const existing = project.envs.find((e) => conflicts(input, e));
  if (existing) {
    Object.assign(existing, {
      sealed: box.seal(input.value),
      type: input.type,
      target: input.target,
      gitBranch: input.gitBranch,
      comment: input.comment ?? existing.comment,
      updatedAt: t,
      updatedBy: user.id,
    });
    project.updatedAt = t;
    return existing;
  }
  const record: EnvRecord = {
    id: randomId(16),
    key: input.key,
    sealed: box.seal(input.value),
    type: input.type,
    target: input.target,
    ...(input.gitBranch ? { gitBranch: input.gitBranch } : {}),
    ...(input.comment !== undefined ? { comment: input.comment } : {}),
    createdAt: t,
    updatedAt: t,
    createdBy: user.id,
    updatedBy: user.id,
  };
  project.envs.push(record);
  project.updatedAt = t;
  return record;
};
