/**
 * The Vercel fake's test-facing side: seeding projects, env vars,
 * deployments and charges as if they had been made earlier, reading state
 * back (decrypted, for assertions), and steering how the next builds end.
 * An env seed passes the create route's checks (`env.ts`), and a seeded
 * deployment is made and ended by the routes' lifecycle (`deployments.ts`).
 */
import type { FakeServerHandle } from "../http";
import { randomId } from "../secret-box";
import { deploymentView } from "./deployment-bodies";
import { createDeploymentRecord, decryptedEnv, finish, promote } from "./deployments";
import { itemError, parseEnvInput, writeEnv } from "./env";
import { projectView } from "./projects";
import { anyProject, type ProjectRecord, type VercelStore } from "./store";
import type { VercelFake } from "./types";

/** Every `VercelFake` method but the server handle's and `user`. */
export type VercelControls = Omit<VercelFake, keyof FakeServerHandle | "user">;

export function vercelControls(store: VercelStore): VercelControls {
  const { user, teams, projects, deployments, charges, plannedEnds, readyHooks, box, now } = store;
  return {
    addProject(seed) {
      const accountId = seed.teamId ?? user.id;
      if (seed.teamId && !teams.some((t) => t.id === seed.teamId))
        throw new Error(
          `team "${seed.teamId}" is not one of the fake's teams; pass it in options.teams`,
        );
      if ([...projects.values()].some((p) => p.accountId === accountId && p.name === seed.name))
        throw new Error(`project "${seed.name}" already exists in the Vercel fake`);
      const t = now();
      const p: ProjectRecord = {
        id: seed.id ?? `prj_${randomId(28)}`,
        name: seed.name,
        accountId,
        framework: seed.framework ?? "nextjs",
        createdAt: t,
        updatedAt: t,
        envs: [],
        productionDeploymentId: null,
        autoAssignCustomDomains: true,
        ignoredBuildStepCancels: seed.ignoredBuildStepCancels ?? false,
        lastAliasRequest: null,
      };
      projects.set(p.id, p);
      return projectView(p);
    },
    addEnv(project, seed) {
      const p = anyProject(store, project);
      const parsed = parseEnvInput(seed, "env");
      if (typeof parsed === "string") throw new Error(parsed);
      const error = itemError(parsed, p, false);
      if (error) throw new Error(error.message);
      return { id: writeEnv(store, p, parsed).id };
    },
    addDeployment(project, seed) {
      const p = anyProject(store, project);
      const d = createDeploymentRecord(
        store,
        p,
        seed.target,
        "git",
        seed.meta ?? {},
        seed.gitBranch,
      );
      if (seed.createdAt !== undefined) d.createdAt = seed.createdAt;
      const state = seed.readyState ?? "READY";
      d.buildingAt = d.createdAt;
      if (state === "READY") {
        // Seeded history runs no ready hooks: it was built before the fake started.
        d.plannedEnd = "READY";
        d.readyState = "READY";
        d.ready = d.createdAt;
        d.readySubstate = "STAGED";
        if (d.target === "production" && p.autoAssignCustomDomains) promote(store, p, d);
      } else if (state === "CANCELED" || state === "ERROR" || state === "BLOCKED") {
        d.plannedEnd = state;
        void finish(store, d);
      } else {
        // A seeded in-flight deployment stays in its state until the test moves on.
        d.readyState = state;
      }
      return deploymentView(d);
    },
    addCharges(accountId, rows) {
      const list = charges.get(accountId) ?? [];
      list.push(...rows.map((r) => ({ ...r })));
      charges.set(accountId, list);
    },
    project: (idOrName) => projectView(anyProject(store, idOrName)),
    deployment(id) {
      const d = deployments.get(id);
      if (!d) throw new Error(`no deployment "${id}" in the Vercel fake`);
      return deploymentView(d);
    },
    deploymentEnv(id) {
      const d = deployments.get(id);
      if (!d) throw new Error(`no deployment "${id}" in the Vercel fake`);
      return decryptedEnv(store, d);
    },
    envValue(project, key, target) {
      const p = anyProject(store, project);
      const e = p.envs.find((x) => x.key === key && x.target.includes(target) && !x.gitBranch);
      return e ? box.open(e.sealed) : undefined;
    },
    nextDeploymentEnds(state, opts = {}) {
      const times = opts.times ?? 1;
      if (!Number.isInteger(times) || times < 1)
        throw new Error(`times must be a positive integer, got ${times}`);
      plannedEnds.push({ state, project: opts.project, remaining: times });
    },
    onDeploymentReady(callback) {
      readyHooks.add(callback);
      return () => readyHooks.delete(callback);
    },
  };
}
