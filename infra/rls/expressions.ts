/**
 * Policy expressions, checked with Postgres' own grammar (libpg_query compiled
 * to WASM, `@supabase/pg-parser`), not with regular expressions.
 *
 * - `checkExpression` proves a string is exactly one SQL expression: it must
 *   parse as the WHERE clause of `SELECT 1 WHERE (…)`, keep its parentheses
 *   balanced on its own and contain no `;`. Anything else could close the
 *   `USING (` we put it in and smuggle in another clause or statement.
 * - `findUnwrappedAuthCalls` finds `auth.uid()` / `auth.jwt()` / `auth.role()` /
 *   `auth.email()` and `current_setting(…)` calls that Postgres would evaluate
 *   per row; `wrapAuthCalls` rewrites them as `(select auth.uid())`, which
 *   Postgres evaluates once per statement.
 * - `facts` (expression-facts.ts): columns named, always true, reads
 *   user_metadata, true when a session value is NULL.
 *
 * The parser is required and initialised lazily (it is WASM), once per process.
 */
import {
  NO_FACTS,
  expressionFacts,
  sessionFunctionName,
  type ExpressionFacts,
} from "./expression-facts";

const PREFIX = "SELECT 1 WHERE (";
// A newline before the closing parenthesis: an expression copied from a
// migration may end in a `--` comment, which would otherwise swallow it.
const SUFFIX = "\n)";

type Parser = import("@supabase/pg-parser").PgParser<17>;

let sharedParser: Parser | undefined;

function parser(): Parser {
  if (!sharedParser) {
    const { PgParser } = require("@supabase/pg-parser") as typeof import("@supabase/pg-parser");
    sharedParser = new PgParser({ version: 17 });
  }
  return sharedParser;
}

/** A problem with an expression, at a 0-based character offset into it. */
export interface ExpressionProblem {
  message: string;
  offset: number;
}

/** "syntax error at or near ")" at character 14: `tenant_id = (`" — for errors shown to people. */
export function describeProblem(expression: string, problem: ExpressionProblem): string {
  const excerpt = expression.length > 80 ? `${expression.slice(0, 77)}...` : expression;
  return `${problem.message} at character ${problem.offset + 1} of \`${excerpt}\``;
}

function byteToCharOffset(text: string, byteOffset: number): number {
  return Buffer.from(text, "utf8").subarray(0, Math.max(0, byteOffset)).toString("utf8").length;
}

/** Everything check, the lints and the SQL generation need to know about one expression. */
export interface ExpressionAnalysis {
  /** Set when the string is not exactly one valid SQL expression. */
  problem?: ExpressionProblem;
  /** auth.* calls Postgres would evaluate per row. */
  unwrapped: UnwrappedAuthCall[];
  /** The expression with those calls wrapped as `(select …)`, or unchanged. */
  wrapped: string;
  /** What the expression means (empty facts when it does not parse). */
  facts: ExpressionFacts;
}

const MAX_CACHED = 5_000;
const cache = new Map<string, Promise<ExpressionAnalysis>>();

/**
 * Analyze with one scan and one parse, memoized per process: the helpers
 * write the same expression on every table, and the engine calls check in
 * preview and again in up.
 */
export async function analyzeExpression(expression: string): Promise<ExpressionAnalysis> {
  const known = cache.get(expression);
  if (known) return known;
  if (cache.size >= MAX_CACHED) cache.clear();
  const analysis = analyzeUncached(expression, true);
  cache.set(expression, analysis);
  return analysis;
}

async function analyzeUncached(expression: string, rewrite: boolean): Promise<ExpressionAnalysis> {
  const unchanged = (problem?: ExpressionProblem): ExpressionAnalysis => ({
    problem,
    unwrapped: [],
    wrapped: expression,
    facts: NO_FACTS,
  });
  if (expression.trim().length === 0)
    return unchanged({ message: "the expression is empty", offset: 0 });
  const p = parser();
  const scanned = await p.scan(expression);
  // Error positions come in characters, as Postgres reports them; token offsets are bytes.
  if (scanned.error)
    return unchanged({ message: scanned.error.message, offset: scanned.error.position });
  let depth = 0;
  for (const token of scanned.tokens) {
    if (token.text === ";") {
      return unchanged({
        message: "a policy expression cannot contain ';'",
        offset: byteToCharOffset(expression, token.start),
      });
    }
    if (token.text === "(") depth++;
    if (token.text === ")" && --depth < 0) {
      return unchanged({
        message: "unbalanced ')': the expression closes a parenthesis it did not open",
        offset: byteToCharOffset(expression, token.start),
      });
    }
  }
  if (depth > 0)
    return unchanged({
      message: "unbalanced '(': a parenthesis is never closed",
      offset: expression.length,
    });
  const parsed = await p.parse(`${PREFIX}${expression}${SUFFIX}`);
  if (parsed.error) {
    const offset = Math.min(Math.max(0, parsed.error.position - PREFIX.length), expression.length);
    return unchanged({ message: parsed.error.message, offset });
  }
  if ((parsed.tree.stmts ?? []).length !== 1)
    return unchanged({ message: "the expression must be a single SQL expression", offset: 0 });

  const facts = expressionFacts(
    (parsed.tree.stmts?.[0]?.stmt as { SelectStmt?: { whereClause?: unknown } } | undefined)
      ?.SelectStmt?.whereClause,
  );
  // PREFIX is ASCII, so a location in the wrapped text minus its length is a byte offset in the expression.
  const calls = collectAuthCalls(parsed.tree)
    .filter((c) => !c.wrapped)
    .map((c) => ({ name: c.name, byte: c.location - PREFIX.length }));
  const unwrapped = calls.map((c) => ({
    call: c.name,
    offset: byteToCharOffset(expression, c.byte),
  }));
  if (calls.length === 0 || !rewrite) return { unwrapped, wrapped: expression, facts };

  const tokens = scanned.tokens.filter((t) => t.kind !== "SQL_COMMENT" && t.kind !== "C_COMMENT");
  const spans: { start: number; end: number }[] = [];
  for (const call of calls) {
    // From the call's first token to the `)` that closes its argument list.
    const first = tokens.findIndex((t) => t.start === call.byte);
    let depth = 0;
    let close: (typeof tokens)[number] | undefined;
    for (const token of first < 0 ? [] : tokens.slice(first)) {
      if (token.text === "(") depth++;
      if (token.text === ")" && --depth === 0) {
        close = token;
        break;
      }
    }
    if (close === undefined) return { unwrapped, wrapped: expression, facts };
    spans.push({ start: call.byte, end: close.end });
  }
  let out = Buffer.from(expression, "utf8");
  for (const span of spans.sort((x, y) => y.start - x.start)) {
    const inner = out.subarray(span.start, span.end).toString("utf8");
    out = Buffer.concat([
      out.subarray(0, span.start),
      Buffer.from(`(select ${inner})`, "utf8"),
      out.subarray(span.end),
    ]);
  }
  const rewritten = out.toString("utf8");
  // Keep the rewrite only if it parses and really wraps everything (a FROM item without alias would not).
  const again = await analyzeUncached(rewritten, false);
  return {
    unwrapped,
    wrapped: again.problem === undefined && again.unwrapped.length === 0 ? rewritten : expression,
    facts,
  };
}

/** undefined when `expression` is exactly one valid SQL expression. */
export async function checkExpression(expression: string): Promise<ExpressionProblem | undefined> {
  return (await analyzeExpression(expression)).problem;
}

/** A call of a session function that Postgres evaluates for every row. */
export interface UnwrappedAuthCall {
  /** `auth.uid()`, `auth.jwt()`, `auth.role()`, `auth.email()` or `current_setting()`. */
  call: string;
  /** 0-based character offset in the expression. */
  offset: number;
}

type AstNode = Record<string, unknown>;

interface SelectFrame {
  inSubLink: boolean;
  hasFrom: boolean;
}

/**
 * Walk the tree, tracking the nearest enclosing SELECT. A call counts as
 * wrapped when that SELECT is a scalar subquery (under a SubLink), has no
 * FROM, and the call sits in its target list — then it is an InitPlan,
 * computed once. Inside a correlated subquery with a FROM it is not.
 */
function collectAuthCalls(tree: unknown): { name: string; location: number; wrapped: boolean }[] {
  const found: { name: string; location: number; wrapped: boolean }[] = [];
  interface Context {
    selects: { frame: SelectFrame; inTargets: boolean }[];
    /** The nearest enclosing node type (PascalCase keys are node types in libpg_query's JSON). */
    nodeType: string | undefined;
    /** The field of that node we came through. */
    field: string | undefined;
  }
  const visit = (value: unknown, ctx: Context): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, ctx);
      return;
    }
    if (value === null || typeof value !== "object") return;
    for (const [key, inner] of Object.entries(value as AstNode)) {
      const isNodeType = /^[A-Z]/.test(key);
      if (!isNodeType) {
        visit(inner, { ...ctx, field: key });
        continue;
      }
      if (inner === null || typeof inner !== "object") continue;
      const fields = inner as AstNode;
      if (key === "SelectStmt") {
        const frame: SelectFrame = {
          inSubLink: ctx.nodeType === "SubLink" && ctx.field === "subselect",
          hasFrom: Array.isArray(fields.fromClause) && fields.fromClause.length > 0,
        };
        for (const [field, child] of Object.entries(fields)) {
          visit(child, {
            selects: [...ctx.selects, { frame, inTargets: field === "targetList" }],
            nodeType: key,
            field,
          });
        }
        continue;
      }
      if (key === "FuncCall") {
        const name = sessionFunctionName(fields);
        if (name) {
          const nearest = ctx.selects[ctx.selects.length - 1];
          const wrapped =
            nearest !== undefined &&
            nearest.frame.inSubLink &&
            !nearest.frame.hasFrom &&
            nearest.inTargets;
          found.push({ name, location: (fields.location as number | undefined) ?? 0, wrapped });
        }
      }
      for (const [field, child] of Object.entries(fields))
        visit(child, { ...ctx, nodeType: key, field });
    }
  };
  visit(tree, { selects: [], nodeType: undefined, field: undefined });
  return found;
}

function assertParses(expression: string, analysis: ExpressionAnalysis): void {
  if (analysis.problem) throw new Error(describeProblem(expression, analysis.problem));
}

/** Calls of `auth.uid()`, `auth.jwt()`, `auth.role()` that are not wrapped in a scalar `(select …)`. */
export async function findUnwrappedAuthCalls(expression: string): Promise<UnwrappedAuthCall[]> {
  const analysis = await analyzeExpression(expression);
  assertParses(expression, analysis);
  return analysis.unwrapped;
}

/**
 * Rewrite every unwrapped `auth.x()` call as `(select auth.x())`. If the
 * rewrite would not parse (a call used as a FROM item without an alias, say)
 * the expression is returned unchanged and the lint reports it instead.
 */
export async function wrapAuthCalls(expression: string): Promise<string> {
  const analysis = await analyzeExpression(expression);
  assertParses(expression, analysis);
  return analysis.wrapped;
}
