/**
 * The environment-variable routes: list (optionally decrypted), create (one
 * item or a batch, with `upsert`), edit, delete and read one. The rules they
 * apply live in `env.ts`; what is here is each call's request and answer.
 */
import { readJson, type FakeServer } from "../http";
import type { Ctx } from "./dialect";
import { conflicts, envBody, itemError, parseEnvInput, writeEnv, type EnvInput } from "./env";
import { badRequest, projectNotFound, vercelError } from "./errors";
import { findProject, type VercelStore } from "./store";

export function registerEnvRoutes(server: FakeServer<Ctx>, store: VercelStore) {
  const { box, user, now } = store;

  server.on("GET", "/v10/projects/{idOrName}/env", (req, ctx) => {
    const p = findProject(store, ctx.accountId, req.params.idOrName!);
    if (!p) return projectNotFound();
    const decrypt = req.query.get("decrypt") === "true";
    const gitBranch = req.query.get("gitBranch");
    const envs = p.envs.filter((e) => !gitBranch || e.gitBranch === gitBranch);
    return {
      status: 200,
      body: {
        // `securityIssues` is required in list items; this stand-in flags none.
        envs: envs.map((e) => ({ ...envBody(store, e, decrypt), securityIssues: [] })),
        pagination: { count: envs.length, next: null, prev: null },
      },
    };
  });

  server.on("POST", "/v10/projects/{idOrName}/env", (req, ctx) => {
    const p = findProject(store, ctx.accountId, req.params.idOrName!);
    if (!p) return projectNotFound();
    const upsert = req.query.get("upsert") === "true";
    const body = readJson(req);
    const batch = Array.isArray(body);
    const items = batch ? body : [body];
    if (items.length === 0) return badRequest("body should NOT have fewer than 1 items.");
    const inputs: EnvInput[] = [];
    for (const [i, raw] of items.entries()) {
      const parsed = parseEnvInput(raw, batch ? `body[${i}]` : "body");
      if (typeof parsed === "string") return badRequest(parsed);
      inputs.push(parsed);
    }
    const created: ReturnType<typeof envBody>[] = [];
    const failed: { error: Record<string, unknown> }[] = [];
    for (const input of inputs) {
      const error = itemError(input, p, upsert);
      if (error) failed.push({ error });
      else created.push(envBody(store, writeEnv(store, p, input), false));
    }
    if (!batch && failed.length === 1) return { status: 400, body: { error: failed[0]!.error } };
    return { status: 201, body: { created: batch ? created : created[0], failed } };
  });

  server.on("PATCH", "/v9/projects/{idOrName}/env/{id}", (req, ctx) => {
    const p = findProject(store, ctx.accountId, req.params.idOrName!);
    if (!p) return projectNotFound();
    const e = p.envs.find((x) => x.id === req.params.id);
    if (!e) return vercelError(404, "not_found", "Environment Variable not found");
    const body = readJson(req);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return badRequest("body should be object.");
    const patch = body as Record<string, unknown>;
    const merged: Record<string, unknown> = {
      key: e.key,
      value: box.open(e.sealed),
      type: e.type,
      target: e.target,
      ...(e.gitBranch ? { gitBranch: e.gitBranch } : {}),
      ...(e.comment !== undefined ? { comment: e.comment } : {}),
      ...patch,
    };
    if (merged.gitBranch === null) delete merged.gitBranch;
    const parsed = parseEnvInput(merged, "body");
    if (typeof parsed === "string") return badRequest(parsed);
    if (e.type === "sensitive" && parsed.type !== "sensitive")
      return badRequest("a sensitive Environment Variable cannot be changed to another type.");
    if (parsed.type === "sensitive" && parsed.target.includes("development"))
      return badRequest(
        "Sensitive environment variables cannot be created in the Development environment.",
      );
    const clash = p.envs.find((x) => x.id !== e.id && conflicts(parsed, x));
    if (clash)
      return vercelError(
        409,
        "ENV_CONFLICT",
        `A variable with the name \`${parsed.key}\` already exists for the target ${clash.target.join(",")}`,
      );
    const t = now();
    Object.assign(e, {
      key: parsed.key,
      sealed: box.seal(parsed.value),
      type: parsed.type,
      target: parsed.target,
      gitBranch: parsed.gitBranch,
      comment: parsed.comment,
      updatedAt: t,
      updatedBy: user.id,
    });
    p.updatedAt = t;
    return { status: 200, body: envBody(store, e, false) };
  });

  server.on("DELETE", "/v9/projects/{idOrName}/env/{id}", (req, ctx) => {
    const p = findProject(store, ctx.accountId, req.params.idOrName!);
    if (!p) return projectNotFound();
    const i = p.envs.findIndex((x) => x.id === req.params.id);
    if (i < 0) return vercelError(404, "not_found", "Environment Variable not found");
    const [removed] = p.envs.splice(i, 1);
    p.updatedAt = now();
    return { status: 200, body: envBody(store, removed!, false) };
  });

  server.on("GET", "/v1/projects/{idOrName}/env/{id}", (req, ctx) => {
    const p = findProject(store, ctx.accountId, req.params.idOrName!);
    if (!p) return projectNotFound();
    const e = p.envs.find((x) => x.id === req.params.id);
    if (!e) return vercelError(404, "not_found", "Environment Variable not found");
    const body = envBody(store, e, true);
    // A sensitive value is write-only: this call omits `value` for it (the
    // SDK's schema has a variant without `value` for exactly this case).
    if (e.type === "sensitive") {
      const { value: _value, ...rest } = body;
      return { status: 200, body: { ...rest, decrypted: false } };
    }
    return { status: 200, body };
  });
}
