/**
 * Reading IAM policy documents as the program writes them (infra/lib/aws-iam.ts
 * shapes, serialized with `policyJson`): pure functions, tested against the
 * documents the backup-storage area really produces.
 */
import type { PolicyDocument, PolicyStatement } from "../../infra/lib/aws-iam";
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST } from "../../infra/backup-storage/iam";
import { asList } from "./policy";

/** A document from a resource input (JSON text or an object), or undefined when it is not one. */
export function parseDocument(value: unknown): PolicyDocument | undefined {
  let doc: unknown = value;
  if (typeof value === "string") {
    try {
      doc = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const statements = (doc as { Statement?: unknown }).Statement;
  return { ...(doc as PolicyDocument), Statement: asList(statements as PolicyStatement[]) };
}

type Loose = PolicyStatement & {
  NotAction?: unknown;
  NotResource?: unknown;
  NotPrincipal?: unknown;
};

/**
 * Allow statements that grant every action of a service (`*`, `s3:*`) or act
 * on every resource (`*`). A statement on `*` is accepted only when each of
 * its actions is one AWS offers no resource-level permission for
 * (`resourceWildcardActions`) and a condition narrows it.
 */
export function wildcardGrants(
  doc: PolicyDocument,
  resourceWildcardActions: readonly string[],
): string[] {
  const problems: string[] = [];
  doc.Statement.forEach((raw, i) => {
    const s = raw as Loose;
    if (s.Effect !== "Allow") return;
    const label = s.Sid ? `statement '${s.Sid}'` : `statement ${i + 1}`;
    if (s.NotAction !== undefined)
      problems.push(`${label} uses NotAction (allows everything else)`);
    if (s.NotResource !== undefined)
      problems.push(`${label} uses NotResource (allows everything else)`);
    const actions = asList(s.Action);
    const broad = actions.filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a));
    if (broad.length > 0) problems.push(`${label} allows every action of ${broad.join(", ")}`);
    const resources = asList(s.Resource);
    if (resources.includes("*")) {
      const exempt =
        actions.length > 0 &&
        actions.every((a) => resourceWildcardActions.includes(a)) &&
        s.Condition !== undefined &&
        Object.keys(s.Condition).length > 0;
      if (!exempt)
        problems.push(
          `${label} allows ${actions.join(", ") || "its actions"} on every resource ('*')`,
        );
    }
  });
  return problems;
}

/** Whether the document denies every non-TLS request to the bucket and its objects. */
export function deniesInsecureTransport(doc: PolicyDocument, bucketArn?: string): boolean {
  return doc.Statement.some((s) => {
    if (s.Effect !== "Deny") return false;
    const principal = s.Principal;
    const everyone =
      principal === "*" ||
      (typeof principal === "object" && asList(principal.AWS as string | string[]).includes("*"));
    const actions = asList(s.Action);
    const allActions = actions.includes("*") || actions.includes("s3:*");
    const resources = asList(s.Resource);
    const coversBucket = bucketArn
      ? resources.includes(bucketArn)
      : resources.some((r) => !r.endsWith("/*"));
    const coversObjects = bucketArn
      ? resources.includes(`${bucketArn}/*`)
      : resources.some((r) => r.endsWith("/*"));
    const condition = s.Condition?.Bool?.["aws:SecureTransport"];
    const onInsecure = asList(condition as unknown as string | string[])
      .map(String)
      .includes("false");
    return everyone && allActions && coversBucket && coversObjects && onInsecure;
  });
}

/** A GitHub OIDC subject this pack accepts: one repository, and what in it may assume the role. */
export type SubjectKind = "environment" | "branch" | "pull_request";

const SUBJECT =
  /^repo:([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+):(?:(environment):([^*?]+)|ref:refs\/heads\/([^*?]+)|(pull_request))$/;

/**
 * Problems with the GitHub OIDC trust of a role's trust policy: every
 * statement that trusts GitHub's issuer must pin the audience and exact
 * subjects of one repository (no `repo:org/*`, no StringLike, no missing
 * `sub`), of the kinds allowed. Statements trusting anything else are ignored.
 */
export function githubTrustProblems(
  doc: PolicyDocument,
  allowed: readonly SubjectKind[],
): string[] {
  const problems: string[] = [];
  const repositories = new Set<string>();
  doc.Statement.forEach((s, i) => {
    const federated = typeof s.Principal === "object" ? asList(s.Principal.Federated) : [];
    const text = JSON.stringify(s);
    const trustsGithub =
      federated.some((f) => f.includes(GITHUB_OIDC_HOST)) || text.includes(`${GITHUB_OIDC_HOST}:`);
    if (!trustsGithub || s.Effect !== "Allow") return;
    const label = s.Sid ? `statement '${s.Sid}'` : `statement ${i + 1}`;
    const conditions = s.Condition ?? {};
    for (const [operator, block] of Object.entries(conditions)) {
      if (
        operator !== "StringEquals" &&
        Object.keys(block).some((k) => k.startsWith(GITHUB_OIDC_HOST))
      )
        problems.push(
          `${label} matches GitHub claims with ${operator}; only exact StringEquals values pin one repository`,
        );
    }
    const equals = conditions.StringEquals ?? {};
    const audience = asList(equals[`${GITHUB_OIDC_HOST}:aud`]);
    if (audience.length !== 1 || audience[0] !== GITHUB_OIDC_AUDIENCE)
      problems.push(`${label} does not require the audience ${GITHUB_OIDC_AUDIENCE}`);
    const subjects = asList(equals[`${GITHUB_OIDC_HOST}:sub`]);
    if (subjects.length === 0)
      problems.push(
        `${label} has no ${GITHUB_OIDC_HOST}:sub condition: any repository on GitHub could assume the role`,
      );
    for (const subject of subjects) {
      const m = SUBJECT.exec(subject);
      if (!m) {
        problems.push(
          `${label} trusts '${subject}', which is not one exact repository's environment, branch or pull requests`,
        );
        continue;
      }
      repositories.add(m[1]!);
      const kind: SubjectKind = m[2] ? "environment" : m[4] ? "branch" : "pull_request";
      if (!allowed.includes(kind))
        problems.push(
          `${label} trusts '${subject}' (a ${kind.replace("_", " ")} subject); allowed here: ${allowed.join(", ")}`,
        );
    }
  });
  if (repositories.size > 1)
    problems.push(
      `the role trusts ${repositories.size} repositories (${[...repositories].sort().join(", ")}); trust exactly one`,
    );
  return problems;
}
