/**
 * What a policy expression means, read from Postgres' own parse tree (never
 * from its text): the facts the lints and preview's catalog check need.
 *
 * - `columns`: the table's columns the expression names outside any subquery;
 *   there every bare name is a column of the policy's table, so one that the
 *   table lacks is an error `up` would hit.
 * - `alwaysTrue`: the expression is true for every row and every session —
 *   `true`, `1 = 1`, `'a' = 'a'`, `x = 1 OR true` — decided by evaluating
 *   constants with SQL's three-valued logic, so `x = 1 AND true` is not.
 * - `readsUserMetadata`: it reads the JWT's `user_metadata` (or
 *   `auth.users.raw_user_meta_data`), which every user can edit for
 *   themselves, so it must never decide access.
 * - `nullSessionDisjunct`: a top-level OR branch is true when a session value
 *   is NULL (`auth.uid() IS NULL OR …`): for `anon`, whose session has no
 *   user, the whole policy is then true for every row.
 */

type AstNode = Record<string, unknown>;

export interface ExpressionFacts {
  columns: string[];
  alwaysTrue: boolean;
  readsUserMetadata: boolean;
  nullSessionDisjunct: boolean;
}

export const NO_FACTS: ExpressionFacts = {
  columns: [],
  alwaysTrue: false,
  readsUserMetadata: false,
  nullSessionDisjunct: false,
};

/** Session functions whose value comes from the caller (the JWT, a setting), NULL for anon. */
const AUTH_SESSION_FUNCTIONS: ReadonlySet<string> = new Set(["uid", "jwt", "role", "email"]);

function only(node: unknown): [string, AstNode] | undefined {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
  const entries = Object.entries(node as AstNode);
  if (entries.length !== 1) return undefined;
  const [type, inner] = entries[0]!;
  return /^[A-Z]/.test(type) && inner !== null && typeof inner === "object"
    ? [type, inner as AstNode]
    : undefined;
}

function names(list: unknown): string[] {
  return Array.isArray(list)
    ? list.map((n) => ((n as { String?: { sval?: string } }).String?.sval ?? "") as string)
    : [];
}

/** `auth.uid()`-style and `current_setting(…)` calls: values that come from the session. */
export function sessionFunctionName(fields: AstNode): string | undefined {
  const fn = names(fields.funcname);
  const args = Array.isArray(fields.args) ? fields.args : [];
  if (
    fn.length === 2 &&
    fn[0] === "auth" &&
    AUTH_SESSION_FUNCTIONS.has(fn[1]!) &&
    args.length === 0
  )
    return `auth.${fn[1]}()`;
  const bare = fn.length === 2 && fn[0] === "pg_catalog" ? fn[1] : fn.length === 1 ? fn[0] : "";
  if (bare === "current_setting" && args.length >= 1) return "current_setting()";
  return undefined;
}

/** Visit every node, saying whether it sits under a subquery. */
function walk(
  value: unknown,
  visit: (type: string, fields: AstNode, inSubquery: boolean) => void,
  inSubquery = false,
): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit, inSubquery);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [key, inner] of Object.entries(value as AstNode)) {
    if (/^[A-Z]/.test(key) && inner !== null && typeof inner === "object") {
      visit(key, inner as AstNode, inSubquery);
      for (const [field, child] of Object.entries(inner as AstNode))
        walk(child, visit, inSubquery || (key === "SubLink" && field === "subselect"));
    } else {
      walk(inner, visit, inSubquery);
    }
  }
}

function constText(node: unknown): string | undefined {
  const n = only(node);
  if (!n) return undefined;
  if (n[0] === "TypeCast") return constText(n[1].arg);
  if (n[0] === "A_Const") return (n[1].sval as { sval?: string } | undefined)?.sval;
  return undefined;
}

type Value = boolean | number | string | null;
/** `undefined`: depends on the row or the session. */
type Evaluated = Value | undefined;

const COMPARISONS: Record<string, (a: number | string, b: number | string) => boolean> = {
  "=": (a, b) => a === b,
  "<>": (a, b) => a !== b,
  "!=": (a, b) => a !== b,
  "<": (a, b) => a < b,
  ">": (a, b) => a > b,
  "<=": (a, b) => a <= b,
  ">=": (a, b) => a >= b,
};

const TRUE_WORDS = new Set(["t", "true", "y", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["f", "false", "n", "no", "off", "0"]);

/** Evaluate a constant expression; anything that reads a row or the session is unknown. */
export function evaluate(node: unknown): Evaluated {
  const n = only(node);
  if (!n) return undefined;
  const [type, f] = n;
  switch (type) {
    case "A_Const": {
      if (f.isnull === true) return null;
      if (f.boolval !== undefined) return (f.boolval as { boolval?: boolean }).boolval ?? false;
      if (f.ival !== undefined) return (f.ival as { ival?: number }).ival ?? 0;
      if (f.fval !== undefined) return Number((f.fval as { fval?: string }).fval);
      if (f.sval !== undefined) return (f.sval as { sval?: string }).sval ?? "";
      return undefined;
    }
    case "TypeCast": {
      const inner = evaluate(f.arg);
      const target = names((f.typeName as AstNode | undefined)?.names).pop();
      if (target === "bool" && typeof inner === "string") {
        const word = inner.trim().toLowerCase();
        return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : undefined;
      }
      return inner;
    }
    case "BoolExpr": {
      const args = (Array.isArray(f.args) ? f.args : []).map(evaluate);
      if (f.boolop === "NOT_EXPR") {
        const a = args[0];
        return typeof a === "boolean" ? !a : a === null ? null : undefined;
      }
      const and = f.boolop === "AND_EXPR";
      if (args.some((a) => a === !and)) return !and;
      if (args.every((a) => a === and)) return and;
      if (args.every((a) => typeof a === "boolean" || a === null)) return null;
      return undefined;
    }
    case "A_Expr": {
      if (f.kind !== "AEXPR_OP") return undefined;
      const op = names(f.name).pop() ?? "";
      const compare = COMPARISONS[op];
      const a = evaluate(f.lexpr);
      const b = evaluate(f.rexpr);
      if (!compare || a === undefined || b === undefined) return undefined;
      if (a === null || b === null) return null;
      if (typeof a !== typeof b || typeof a === "boolean") return undefined;
      return compare(a as number | string, b as number | string);
    }
    case "NullTest": {
      const a = evaluate(f.arg);
      if (a === undefined) return undefined;
      return f.nulltesttype === "IS_NULL" ? a === null : a !== null;
    }
    default:
      return undefined;
  }
}

/** Does the node read a session value (auth.*(), current_setting) and nothing from the row? */
function sessionOnly(node: unknown): boolean {
  let session = false;
  let row = false;
  walk(node, (type, fields) => {
    if (type === "FuncCall" && sessionFunctionName(fields)) session = true;
    if (type === "ColumnRef") row = true;
  });
  return session && !row;
}

function isNullSessionTest(node: unknown): boolean {
  const n = only(node);
  if (!n) return false;
  const [type, f] = n;
  if (type === "NullTest") return f.nulltesttype === "IS_NULL" && sessionOnly(f.arg);
  if (type === "BoolExpr" && f.boolop === "NOT_EXPR") {
    const inner = only((f.args as unknown[] | undefined)?.[0]);
    return (
      inner?.[0] === "NullTest" &&
      inner[1].nulltesttype === "IS_NOT_NULL" &&
      sessionOnly(inner[1].arg)
    );
  }
  return false;
}

function disjuncts(node: unknown): unknown[] {
  const n = only(node);
  if (n && n[0] === "BoolExpr" && n[1].boolop === "OR_EXPR")
    return (Array.isArray(n[1].args) ? n[1].args : []).flatMap(disjuncts);
  return [node];
}

const JSON_KEY_OPERATORS = new Set(["->", "->>"]);
const JSON_PATH_OPERATORS = new Set(["#>", "#>>"]);

/** Facts about the WHERE clause of `SELECT 1 WHERE (<expression>)`. */
export function expressionFacts(where: unknown): ExpressionFacts {
  const columns = new Set<string>();
  let readsUserMetadata = false;
  walk(where, (type, f, inSubquery) => {
    if (type === "ColumnRef") {
      const fields = names(f.fields).filter((s) => s !== "");
      const last = fields[fields.length - 1];
      if (last === "raw_user_meta_data") readsUserMetadata = true;
      if (!inSubquery && last !== undefined && fields.length <= 2) columns.add(last);
    }
    if (type === "A_Expr" && f.kind === "AEXPR_OP") {
      const op = names(f.name).pop() ?? "";
      const key = constText(f.rexpr);
      if (JSON_KEY_OPERATORS.has(op) && key === "user_metadata") readsUserMetadata = true;
      if (JSON_PATH_OPERATORS.has(op) && /^\{\s*"?user_metadata"?\s*(,|\})/.test(key ?? ""))
        readsUserMetadata = true;
    }
  });
  return {
    columns: [...columns].sort(),
    alwaysTrue: evaluate(where) === true,
    readsUserMetadata,
    nullSessionDisjunct: disjuncts(where).length > 1 && disjuncts(where).some(isNullSessionTest),
  };
}
