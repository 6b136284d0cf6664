/**
 * The dynamic providers that write rotated values straight to Vercel and
 * GitHub, for stacks without their provider plugins (`rotation.delivery:
 * api`). One resource per Vercel project (one batched write) and one per
 * GitHub repository. They run after the credentials they carry (their values
 * are inputs) and before the rollout (which depends on them).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { IdentifiedProvider } from "../../lib/dynamic/types";
import type { AuditLocation } from "../audit";
import { removeGithubSecrets, writeGithubSecrets, type GithubSecretValue } from "../sinks/github";
import { removeVercelEnv, writeVercelEnv, type VercelEnvValue } from "../sinks/vercel";
import { audit, isUnknown, pauseAfter, plain } from "./common";

export const VERCEL_ENV_PROVIDER_ID = "runbooks:rotation:VercelEnv";
export const GITHUB_SECRETS_PROVIDER_ID = "runbooks:rotation:GithubSecrets";

/** Which credential generation a value carries, for the audit log. */
interface Carried {
  credential: string;
  generationId: string;
}

export interface VercelEnvInputs {
  stack: string;
  apiUrl: string;
  /** Secret. */
  token: string;
  teamId?: string;
  project: string;
  /** Secret (values). */
  variables: (VercelEnvValue & Carried)[];
  audit: AuditLocation;
  providerVersion: string;
}

export interface GithubSecretsInputs {
  stack: string;
  apiUrl: string;
  /** Secret. */
  token: string;
  owner: string;
  repo: string;
  /** Secret (values). */
  secrets: (GithubSecretValue & Carried)[];
  audit: AuditLocation;
  providerVersion: string;
}

type Written<I> = I & { written: { name: string; credential: string; generationId: string }[] };

async function pushed(
  a: AuditLocation,
  stack: string,
  sink: string,
  items: { name: string; credential: string; generationId: string }[],
) {
  for (const credential of [...new Set(items.map((i) => i.credential))]) {
    const mine = items.filter((i) => i.credential === credential);
    await audit(a, {
      stack,
      credential,
      event: "pushed",
      detail: {
        sink,
        names: mine.map((i) => i.name),
        generations: [...new Set(mine.map((i) => i.generationId))],
      },
    });
  }
}

function sinkProvider<I extends { stack: string; audit: AuditLocation }>(
  providerId: string,
  describe: (i: I) => string,
  items: (i: I) => { name: string; credential: string; generationId: string; key: string }[],
  write: (i: I) => Promise<void>,
  remove: (i: I) => Promise<void>,
): IdentifiedProvider<I, Written<I>> &
  Required<
    Pick<
      pulumi.dynamic.ResourceProvider<I, Written<I>>,
      "check" | "diff" | "update" | "delete" | "read"
    >
  > {
  const apply = async (i: I): Promise<Written<I>> => {
    await write(i);
    const written = items(i).map(({ name, credential, generationId }) => ({
      name,
      credential,
      generationId,
    }));
    await pushed(i.audit, i.stack, describe(i), written);
    await pauseAfter("pushed");
    return plain({ ...i, written });
  };
  return {
    providerId,
    // Inputs are built by this program from validated config; nothing to normalize.
    async check(_olds, news) {
      return { inputs: news };
    },
    async diff(_id, olds, news) {
      // During a preview whose credentials rotate, the values are not known yet: a change.
      if (Object.values(news).some(isUnknown)) return { changes: true };
      // Inputs only (state also holds `written`); values are compared here, in the provider process.
      const declared = (x: I) => {
        const {
          written: _w,
          providerVersion: _v,
          __provider: _p,
          ...rest
        } = x as I & Record<string, unknown>;
        return JSON.stringify(rest);
      };
      return { changes: declared(olds) !== declared(news) };
    },
    async create(inputs) {
      return { id: describe(inputs), outs: await apply(inputs) };
    },
    async read(id, props) {
      if (!props) throw new Error(`cannot import ${id}: the rotation declares its sinks`);
      return { id, props };
    },
    async update(_id, _olds, news) {
      return { outs: await apply(news) };
    },
    async delete(_id, props) {
      await remove(props);
    },
  };
}

export function createVercelEnvProvider() {
  return sinkProvider<VercelEnvInputs>(
    VERCEL_ENV_PROVIDER_ID,
    (i) => `vercel:${i.project}`,
    (i) =>
      i.variables.map((v) => ({
        name: `${v.key}[${v.targets.join("+")}]`,
        credential: v.credential,
        generationId: v.generationId,
        key: `${v.key}|${v.targets.join(",")}|${v.gitBranch ?? ""}`,
      })),
    (i) => writeVercelEnv(i, i.project, i.variables),
    (i) => removeVercelEnv(i, i.project, i.variables),
  );
}

export function createGithubSecretsProvider() {
  return sinkProvider<GithubSecretsInputs>(
    GITHUB_SECRETS_PROVIDER_ID,
    (i) => `github:${i.owner}/${i.repo}`,
    (i) =>
      i.secrets.map((s) => ({
        name: `${s.environment ?? "repository"}/${s.name}`,
        credential: s.credential,
        generationId: s.generationId,
        key: `${s.environment ?? ""}|${s.name}`,
      })),
    (i) => writeGithubSecrets(i, i.secrets),
    (i) => removeGithubSecrets(i, i.secrets),
  );
}
