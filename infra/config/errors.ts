/**
 * The one configuration error: every problem at once, each with its key, what
 * is wrong and how to fix it, naming the stack file that was actually read.
 *
 * Zod's own messages ("Invalid input: expected number, received string") say
 * neither which key nor what to do, so every issue is rewritten here: a
 * missing key and a key of the wrong type read differently, an unknown key is
 * told to be removed (with the valid key it most likely meant), and a value is
 * quoted back only when it cannot be a secret.
 */
import { isAbsolute, join, relative } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { RunError } from "@pulumi/pulumi/errors";
import { z } from "zod";
import { isSecretLookingName, secretLookingValue } from "./shared";

export const CONFIG_NAMESPACE = "runbooks";

/**
 * Set by `npm run local` for every Pulumi command it runs: the file it passes
 * with `--config-file`. The engine hands a program its config values but not
 * which file they came from, so without this errors would name the default
 * `stacks/Pulumi.<stack>.yaml`. Set it yourself when you run `pulumi
 * --config-file <file>` by hand.
 */
export const CONFIG_FILE_ENV = "RUNBOOKS_CONFIG_FILE";
/**
 * Set with `RUNBOOKS_CONFIG_FILE` when that file is generated from another one
 * (`npm run local` rewrites `.local/Pulumi.local.yaml` from
 * `stacks/Pulumi.local.yaml` on every run): fixes then name the file a person
 * edits, since an edit to the generated copy would be lost.
 */
export const CONFIG_SOURCE_ENV = "RUNBOOKS_CONFIG_SOURCE";

export interface ConfigContext {
  /** Stack name, e.g. `staging`. */
  stack: string;
  /** Path of the stack file shown in errors, e.g. `stacks/Pulumi.staging.yaml`. */
  stackFile: string;
  /** Set when the run read `stackFile` through `--config-file`, so fix commands pass it too. */
  configFile?: string;
  /** The file `stackFile` is generated from, when it is; fixes name this one. */
  sourceFile?: string;
}

export interface ConfigProblem {
  /** `runbooks:<path>`, or another stack-level name (`stack`, `(file)`). */
  key: string;
  message: string;
  fix: string;
}

export function stackFileFor(stack: string): string {
  return `stacks/Pulumi.${stack}.yaml`;
}

/**
 * A `pulumi.RunError`, so a ConfigError thrown anywhere in the program ends it
 * with this message alone: the engine prints a RunError without its stack and
 * without dumping the object (which would print every field, in colour).
 */
export class ConfigError extends RunError {
  constructor(
    readonly context: ConfigContext,
    readonly problems: ConfigProblem[],
  ) {
    const file = context.sourceFile
      ? `${context.stackFile}, generated from ${context.sourceFile}`
      : context.stackFile;
    super(
      [
        `Invalid configuration for stack '${context.stack}' (${file}):`,
        ...problems.map((p) => `  - ${p.key}: ${p.message}\n    fix: ${p.fix}`),
      ].join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** `a.b[0].c` for a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Which file was read
// ---------------------------------------------------------------------------

/** `path` relative to `root` when it lies inside it, else as given. */
export function displayPath(path: string, root: string): string {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/** Where `pulumi` looks for a stack's file: `stackConfigDir` of the project's Pulumi.yaml. */
function projectStackFile(stack: string, root: string): string | undefined {
  const projectFile = join(root, "Pulumi.yaml");
  if (!existsSync(projectFile)) return undefined;
  try {
    const YAML = require("yaml") as typeof import("yaml");
    const project = YAML.parse(readFileSync(projectFile, "utf8")) as { stackConfigDir?: unknown };
    const dir = typeof project?.stackConfigDir === "string" ? project.stackConfigDir : "";
    return join(dir, `Pulumi.${stack}.yaml`);
  } catch {
    return undefined;
  }
}

/**
 * The context of a Pulumi run: the file named by `RUNBOOKS_CONFIG_FILE` when it
 * exists, else the stack file the project's Pulumi.yaml points the CLI at.
 * `root` is the project directory (where Pulumi.yaml is); paths are shown
 * relative to it.
 */
export function runContext(
  stack: string,
  options: { root?: string; env?: NodeJS.ProcessEnv } = {},
): ConfigContext {
  const env = options.env ?? process.env;
  const root = options.root || process.cwd();
  const file = env[CONFIG_FILE_ENV];
  if (file && existsSync(file)) {
    const source = env[CONFIG_SOURCE_ENV];
    return {
      stack,
      stackFile: displayPath(file, root),
      configFile: file,
      ...(source ? { sourceFile: displayPath(source, root) } : {}),
    };
  }
  if (options.root) {
    const fromProject = projectStackFile(stack, options.root);
    if (fromProject) return { stack, stackFile: fromProject };
  }
  return { stack, stackFile: stackFileFor(stack) };
}

// ---------------------------------------------------------------------------
// Fixes
// ---------------------------------------------------------------------------

/** The file a person edits: the source of a generated file, else the file read. */
export function fileToEdit(context: ConfigContext): string {
  return context.sourceFile ?? context.stackFile;
}

/** `-s <stack>`, plus `--config-file` when the run was given one. */
function stackFlags(context: ConfigContext): string {
  return context.configFile
    ? `-s ${context.stack} --config-file ${context.configFile}`
    : `-s ${context.stack}`;
}

/** How to set a secret config key. */
export function secretSetCommand(context: ConfigContext, key: string, example: string): string {
  return `pulumi config set --secret ${key} '${example}' ${stackFlags(context)}`;
}

/** How to change `path` (without namespace): edit the area's key, or `pulumi config set --path`. */
export function editFix(context: ConfigContext, path: readonly PropertyKey[]): string {
  const key = formatPath(path);
  const topLevel = String(path[0] ?? "");
  const file = fileToEdit(context);
  // A generated file is rewritten on the next run, so `config set` on it would be lost.
  const set = context.sourceFile
    ? ""
    : `pulumi config set --path '${key}' <value> ${stackFlags(context)}`;
  if (path.length <= 1) {
    return set
      ? `set it with: ${set}, or edit ${file} (see README "Configuration")`
      : `set '${CONFIG_NAMESPACE}:${key}' in ${file} (see README "Configuration")`;
  }
  const edit = `edit '${CONFIG_NAMESPACE}:${topLevel}' in ${file}`;
  return set ? `${edit}, or: ${set}` : edit;
}

/** The problem for a key the schema does not know, with the valid key it most likely meant. */
export function unknownKeyProblem(
  context: ConfigContext,
  objectPath: readonly PropertyKey[],
  unknown: string,
  validKeys: readonly string[],
): ConfigProblem {
  const guess = closest(unknown, validKeys);
  const hint = guess
    ? `; did you mean '${guess}'?`
    : validKeys.length > 0 && validKeys.length <= 12
      ? ` (the keys here are: ${validKeys.join(", ")})`
      : "";
  const file = fileToEdit(context);
  if (objectPath.length === 0) {
    return {
      key: `${CONFIG_NAMESPACE}:${unknown}`,
      message: `is not a setting of this program${hint}`,
      fix: `remove '${CONFIG_NAMESPACE}:${unknown}' from ${file}${guess ? ` (or rename it to '${CONFIG_NAMESPACE}:${guess}')` : ""}`,
    };
  }
  const where = `${CONFIG_NAMESPACE}:${formatPath(objectPath)}`;
  return {
    key: where,
    message: `unknown key '${unknown}'${hint}`,
    fix: `remove '${unknown}' from '${where}' in ${file}${guess ? ` (or rename it to '${guess}')` : ""}`,
  };
}

/** The candidate nearest to `word` by edit distance (ignoring case), if near enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(w, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  if (best === undefined) return undefined;
  // One edit in a two-letter key is a different key (P1 is not a typo of P0).
  const n = word.length;
  const allowed = n <= 2 ? 0 : n <= 5 ? 1 : n <= 8 ? 2 : 3;
  return best.distance <= allowed ? best.candidate : undefined;
}

/** Levenshtein distance with adjacent transpositions (`lcokRetries` is one edit away). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

// ---------------------------------------------------------------------------
// Zod issues → problems
// ---------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;
// Zod's internal definition, read only to find the keys an object accepts.
type Def = { type: string; [key: string]: unknown };

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

/** Options, defaults, nullables and pipes wrap the schema that decides the shape. */
function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(current);
    if (!def) return current;
    if (["default", "prefault", "optional", "nullable", "readonly", "catch"].includes(def.type))
      current = def.innerType;
    else if (def.type === "pipe") current = def.in;
    else return current;
  }
  return current;
}

/** The schemas that may describe the value at `path` (several inside a union). */
function schemasAt(schema: unknown, path: readonly PropertyKey[]): unknown[] {
  let current = [unwrap(schema)];
  for (const part of path) {
    const next: unknown[] = [];
    for (const s of current.flatMap(alternatives)) {
      const def = defOf(s);
      if (def?.type === "object" && typeof part === "string") {
        const child = (def.shape as Record<string, unknown>)[part];
        if (child) next.push(unwrap(child));
      } else if (def?.type === "array" && typeof part === "number") next.push(unwrap(def.element));
      else if (def?.type === "record") next.push(unwrap(def.valueType));
    }
    current = next;
  }
  return current.flatMap(alternatives);
}

function alternatives(schema: unknown): unknown[] {
  const def = defOf(schema);
  return def?.type === "union"
    ? (def.options as unknown[]).map(unwrap).flatMap(alternatives)
    : [schema];
}

/** The keys the object (or enum-keyed record) at `path` accepts. */
export function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(schema, path)) {
    const def = defOf(s);
    if (def?.type === "object") for (const k of Object.keys(def.shape as object)) keys.add(k);
    const keyDef = def?.type === "record" ? defOf(unwrap(def.keyType)) : undefined;
    if (keyDef?.type === "enum")
      for (const k of Object.values(keyDef.entries as object)) keys.add(String(k));
  }
  return [...keys];
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/**
 * Whether a value may be quoted in an error: not under a secret-looking key,
 * not a variable's `value` (the name that says whether it is secret is a
 * sibling), and not a value that looks like a credential itself.
 */
function mayEcho(path: readonly PropertyKey[], value: unknown): boolean {
  if (path.some((p) => typeof p === "string" && (p === "value" || isSecretLookingName(p))))
    return false;
  if (typeof value === "string") return value.length <= 80 && !secretLookingValue(value);
  return true;
}

/** What was given, in words, quoting it only when that is safe. */
function given(path: readonly PropertyKey[], value: unknown): string {
  const echo = mayEcho(path, value);
  if (value === undefined) return "not set";
  if (value === null) return "empty (null)";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  switch (typeof value) {
    case "string":
      return echo ? `the string '${value}'` : "a string";
    case "number":
    case "boolean":
      return echo ? String(value) : `a ${typeof value}`;
    case "object":
      return "a mapping of keys";
    default:
      return `a ${typeof value}`;
  }
}

const EXPECTED: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "a mapping of keys",
  record: "a mapping of keys",
};

/** A bound in words, and how the value measures against it. */
function sizeText(
  issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig,
  path: readonly PropertyKey[],
  value: unknown,
): string {
  const small = issue.code === "too_small";
  const n = Number(small ? issue.minimum : (issue as z.core.$ZodIssueTooBig).maximum);
  if (Array.isArray(value)) {
    const rule = small
      ? `needs at least ${n} entr${n === 1 ? "y" : "ies"}`
      : `allows at most ${n} entries`;
    return `${rule}, but has ${value.length}`;
  }
  if (typeof value === "string") {
    const rule = small
      ? `must be at least ${n} characters long`
      : `must be at most ${n} characters long`;
    return `${rule}, but has ${value.length}`;
  }
  const exclusive = issue.inclusive === false;
  const rule = small
    ? exclusive
      ? `must be greater than ${n}`
      : `must be at least ${n}`
    : exclusive
      ? `must be less than ${n}`
      : `must be at most ${n}`;
  return `${rule}, but is ${given(path, value)}`;
}

/** `a | b | c` */
function oneOf(values: readonly unknown[]): string {
  return values.length === 1
    ? `must be ${String(values[0])}`
    : `must be one of ${values.map(String).join(" | ")}`;
}

/** Our message for an issue whose message is zod's default; undefined keeps the schema's own. */
function rewrite(issue: Issue, path: readonly PropertyKey[], value: unknown): string | undefined {
  switch (issue.code) {
    case "invalid_type": {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      let message = `must be ${expected}, but is ${given(path, value)}`;
      if (issue.expected === "array" && value !== null && typeof value !== "object") {
        message += mayEcho(path, value)
          ? ` (write a list, e.g. [${String(value)}])`
          : " (write a list: [ … ])";
      }
      return message;
    }
    case "too_small":
    case "too_big":
      return sizeText(issue, path, value);
    case "invalid_value":
      return `${oneOf(issue.values)}, but is ${given(path, value)}`;
    case "invalid_union": {
      const union = issue as z.core.$ZodIssueInvalidUnion & {
        discriminator?: string;
        options?: unknown[];
      };
      if (union.discriminator && union.options) {
        const at = valueAt(value, [union.discriminator]);
        const discriminated = value !== null && typeof value === "object" ? at : value;
        return `${oneOf(union.options)}, but is ${given(path, discriminated)}`;
      }
      const literals = union.errors.flatMap((branch) =>
        branch.flatMap((i) => (i.code === "invalid_value" && i.path.length === 0 ? i.values : [])),
      );
      return literals.length === union.errors.length
        ? `${oneOf(literals)}, but is ${given(path, value)}`
        : `does not match any accepted form, but is ${given(path, value)}`;
    }
    case "invalid_format": {
      const format = issue.format;
      if (format === "url") return "must be an absolute URL such as https://app.example.com";
      if (format === "email") return "must be an e-mail address";
      if (format === "regex")
        return `must match ${(issue as z.core.$ZodIssueInvalidStringFormat).pattern ?? "the expected pattern"}`;
      return `must be a valid ${format}`;
    }
    case "invalid_key":
      return `has a key that is not allowed (${issue.issues.map((i) => i.message).join("; ")})`;
    default:
      return undefined;
  }
}

const defaultMessage = (() => {
  const locale = z.locales.en().localeError;
  return (issue: Issue): string | undefined => {
    const out = locale(issue as unknown as Parameters<typeof locale>[0]);
    return typeof out === "string" ? out : out?.message;
  };
})();

/**
 * Problems for zod issues. `schema` and `input` are what was parsed; `prefix`
 * is the path of that input under the namespace (`["database"]` when one area
 * is parsed alone, `[]` for the whole stack).
 */
export function issuesToProblems(
  issues: readonly Issue[],
  options: {
    schema: z.ZodType;
    input: unknown;
    prefix: readonly PropertyKey[];
    context: ConfigContext;
  },
): ConfigProblem[] {
  const { schema, input, prefix, context } = options;
  return issues.flatMap((issue): ConfigProblem[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      const valid = keysAt(schema, issue.path);
      return issue.keys.map((k) => unknownKeyProblem(context, path, k, valid));
    }
    const value = valueAt(input, issue.path);
    const key = `${CONFIG_NAMESPACE}:${formatPath(path) || "(root)"}`;
    const custom = issue.message !== defaultMessage(issue);
    let message: string;
    if (value === undefined && issue.code === "invalid_type") message = "is required but not set";
    else message = (custom ? undefined : rewrite(issue, path, value)) ?? issue.message;
    return [{ key, message, fix: editFix(context, path) }];
  });
}

/**
 * Parse `raw` with `schema`, or throw the one ConfigError. Zod is asked to keep
 * each issue's input (zod 4 drops it by default), so "wrong type" and "not
 * set" can be told apart.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  context: ConfigContext,
  prefix: readonly PropertyKey[] = [],
): z.output<S> {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(
    context,
    issuesToProblems(result.error.issues, { schema, input: raw, prefix, context }),
  );
}
