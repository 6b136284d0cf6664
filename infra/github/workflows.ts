/**
 * The GitHub Actions workflows this project needs, rendered as YAML text.
 *
 * Two kinds:
 * - App workflows, one set per stack: the scheduled database backup (OIDC into
 *   AWS, no stored keys) and a scheduled health check. They are committed to
 *   the app repository by `WorkflowFiles` when `github.commitWorkflows` is on;
 *   otherwise they live in this repository's `.github/workflows/` (this
 *   project then lives in the app repository).
 * - Project workflows: this repository's CI (checks and `rls:smoke`) and the
 *   policy-pack review of every pull request (policy-review-workflows.ts).
 *
 * Workflows reference only names (`vars.*`, `secrets.*`), never values: the
 * values are set by `GithubActionsSettings` and differ per stack, so a file in
 * git never holds a secret or an account-specific ARN.
 *
 * Pure: strings in, strings out (workflow-text.ts: how values are written).
 */
import { MIN_GO_VERSION, PULUMI_VERSION } from "../tools/pulumi-cli";
import {
  renderPolicyReviewCommentWorkflow,
  renderPolicyReviewWorkflow,
} from "./policy-review-workflows";
import { expr, header, q, SETUP_NODE, type WorkflowFile } from "./workflow-text";

export type { WorkflowFile } from "./workflow-text";

/** The GitHub variable and secret names one stack's backup workflow reads. */
export interface BackupWorkflowNames {
  region: string;
  bucket: string;
  prefix: string;
  kmsKeyArn: string;
  roleArn: string;
  /** A secret: the connection string pg_dump uses. */
  databaseUrl: string;
}

/** Postgres client major installed on the runner; pg_dump must be at least the server's major. */
export const PG_CLIENT_MAJOR = 17;

/**
 * Names of the backup workflow's settings. In a GitHub environment the plain
 * names are enough (each stack has its own environment); at repository scope
 * the stack is appended so two stacks sharing one repository never overwrite
 * each other.
 */
export function backupWorkflowNames(
  stack: string,
  environment: string | undefined,
): BackupWorkflowNames {
  const suffix = environment ? "" : `_${stack.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  const n = (base: string) => `RUNBOOKS_${base}${suffix}`;
  return {
    region: n("AWS_REGION"),
    bucket: n("BACKUP_BUCKET"),
    prefix: n("BACKUP_PREFIX"),
    kmsKeyArn: n("BACKUP_KMS_KEY_ARN"),
    roleArn: n("BACKUP_ROLE_ARN"),
    databaseUrl: n("DATABASE_URL"),
  };
}

export function workflowSlug(stack: string): string {
  return stack.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

export interface BackupWorkflowInput {
  /** Pulumi stack the backup belongs to (metric dimension, file name). */
  stack: string;
  /** 5-field cron, UTC. */
  schedule: string;
  /** GitHub environment the job runs in (its OIDC subject then names the environment). */
  environment?: string;
  /** Seconds the assumed role's credentials last. */
  sessionSeconds: number;
}

/**
 * The nightly backup is this repository's own `npm run backup`, the same
 * tested code the BackupJob provider runs: pg_dump streamed to S3 (no copy on
 * the runner's disk) with a SHA-256 and a manifest, encrypted with the
 * bucket's CMK, every object confirmed by S3's checksum of what it stored, then latest.json and the
 * freshness metric — published only after all of that, so the alarm fires for
 * any failure. AWS access comes from the OIDC role; nothing is stored.
 */
export function renderBackupWorkflow(input: BackupWorkflowInput): WorkflowFile {
  const slug = workflowSlug(input.stack);
  const names = backupWorkflowNames(input.stack, input.environment);
  const minutes = Math.floor(input.sessionSeconds / 60) - 10;
  const content = `${header(`database backup of stack '${input.stack}'`, input.stack)}
name: ${q(`runbooks: backup (${input.stack})`)}
on:
  schedule:
    - cron: ${q(input.schedule)}
  workflow_dispatch: {}
permissions:
  contents: read
concurrency:
  group: ${q(`runbooks-backup-${slug}`)}
  cancel-in-progress: false
jobs:
  backup:
    runs-on: ubuntu-latest
    timeout-minutes: ${minutes}
${input.environment ? `    environment: ${q(input.environment)}\n` : ""}    permissions:
      contents: read
      id-token: write
    env:
      STACK: ${q(input.stack)}
      PG_CLIENT_MAJOR: ${q(String(PG_CLIENT_MAJOR))}
      PG_BIN: ${q(`/usr/lib/postgresql/${PG_CLIENT_MAJOR}/bin`)}
      RUNBOOKS_BACKUP_BUCKET: ${q(expr(`vars.${names.bucket}`))}
      RUNBOOKS_BACKUP_PREFIX: ${q(expr(`vars.${names.prefix}`))}
      RUNBOOKS_BACKUP_KMS_KEY_ARN: ${q(expr(`vars.${names.kmsKeyArn}`))}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: "20"
          cache: npm
      - name: Assume the backup role through OIDC (no stored AWS keys)
        uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${q(expr(`vars.${names.roleArn}`))}
          aws-region: ${q(expr(`vars.${names.region}`))}
          role-session-name: ${q(`runbooks-backup-${slug}`)}
          role-duration-seconds: ${input.sessionSeconds}
      - name: Install the Postgres ${PG_CLIENT_MAJOR} client (pg_dump must be at least the server's major)
        run: |
          sudo apt-get update -q
          sudo apt-get install -yq postgresql-common
          sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y
          sudo apt-get install -yq "postgresql-client-\${PG_CLIENT_MAJOR}"
      - name: Back up, verify, then publish the freshness metric
        env:
          DATABASE_URL: ${q(expr(`secrets.${names.databaseUrl}`))}
        run: npm ci && npm run backup -- --stack "$STACK"
`;
  return { path: `.github/workflows/runbooks-backup-${slug}.yml`, content };
}

export interface HealthWorkflowInput {
  /** Pulumi stack, for the name. */
  stack: string;
  /** The app's health endpoint. */
  url: string;
}

/**
 * A second opinion on "is the site up?" every five minutes (GitHub's shortest
 * schedule; runs can be delayed under load). The Route 53 check and its alarm
 * are the primary signal; a failed run here notifies through GitHub.
 */
export function renderHealthWorkflow(input: HealthWorkflowInput): WorkflowFile {
  const slug = workflowSlug(input.stack);
  const content = `${header(`health check of stack '${input.stack}'`, input.stack)}
name: ${q(`runbooks: health check (${input.stack})`)}
on:
  schedule:
    - cron: "*/5 * * * *"
  workflow_dispatch: {}
permissions:
  contents: read
concurrency:
  group: ${q(`runbooks-health-${slug}`)}
  cancel-in-progress: true
jobs:
  health:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    env:
      HEALTH_URL: ${q(input.url)}
    steps:
      - name: GET the health endpoint
        run: curl --fail-with-body --silent --show-error --max-time 10 --retry 2 --retry-delay 5 --retry-all-errors "$HEALTH_URL"
`;
  return { path: `.github/workflows/runbooks-health-${slug}.yml`, content };
}

/** The CI job's toolchain: Node for the program, Go for the tools `npm test` builds (Pulumi CLI, MinIO, actionlint). */
const SETUP_TOOLCHAIN = `      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: "20"
          cache: npm
      - uses: actions/setup-go@v5
        with:
          go-version: ${q(`>=${MIN_GO_VERSION}`)}
          cache: false`;

/**
 * This repository's CI: type-check, lint, tests (actionlint included), the secret scan of the
 * whole history (its SARIF uploaded to GitHub code scanning, so a leak shows
 * on the pull request), and the RLS smoke test against staging.
 */
export function renderCiWorkflow(): WorkflowFile {
  const sameRepo =
    "github.event_name == 'push' || github.event.pull_request.head.repo.full_name == github.repository";
  const content = `${header("continuous integration of this repository", undefined)}
name: "runbooks: ci"
on:
  pull_request: {}
  push:
    branches: ["main"]
permissions:
  contents: read
jobs:
  checks:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
${SETUP_TOOLCHAIN}
      - run: npm ci
      - run: npm run type-check
      - run: npm run lint
      - run: npm test
  secrets-scan:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    permissions:
      contents: read
      security-events: write
    steps:
      - uses: actions/checkout@v4
        with:
          # Every commit of every branch: a shallow clone would hide old leaks.
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: "20"
          cache: npm
      - run: npm ci
      - name: Scan the working tree and the whole history for secrets
        run: npm run secrets:scan -- --sarif secrets-scan.sarif
      - name: Upload the findings to GitHub code scanning
        # Also when the scan found a leak (it exits 1); forks get no security-events permission.
        if: ${q(expr(`always() && hashFiles('secrets-scan.sarif') != '' && (${sameRepo})`))}
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: secrets-scan.sarif
          category: secrets-scan
  rls-smoke:
    needs: checks
    # Forks get no secrets; the smoke test needs the staging database.
    if: ${q(expr(sameRepo))}
    runs-on: ubuntu-latest
    timeout-minutes: 15
    environment: "staging"
    steps:
${SETUP_NODE}
      - name: RLS smoke test against staging
        env:
          DATABASE_URL: ${q(expr("secrets.RUNBOOKS_DATABASE_URL"))}
        run: npm run rls:smoke -- --stack staging
`;
  return { path: ".github/workflows/ci.yml", content };
}

/**
 * Push to main: \`pulumi up\` for staging, then production. Each job runs in
 * its GitHub environment, so production waits for that environment's
 * required reviewers. AWS is reached through OIDC: the environment's
 * \`RUNBOOKS_DEPLOY_ROLE_ARN\` variable names a role created once by hand (a
 * stack cannot create the role that deploys it, and should not be able to
 * widen it).
 */
export function renderDeployWorkflow(stacks: string[]): WorkflowFile {
  const job = (stack: string, needs: string | undefined) => `  ${workflowSlug(stack)}:
${
  needs
    ? `    needs: ${needs}
`
    : ""
}    runs-on: ubuntu-latest
    timeout-minutes: 60
    environment: ${q(stack)}
    permissions:
      contents: read
      id-token: write
    steps:
${SETUP_NODE}
      - name: Assume the deploy role through OIDC
        uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${q(expr("vars.RUNBOOKS_DEPLOY_ROLE_ARN"))}
          aws-region: ${q(expr("vars.RUNBOOKS_AWS_REGION"))}
          role-session-name: ${q(`runbooks-deploy-${workflowSlug(stack)}`)}
      - name: pulumi up ${stack} with the policy pack
        uses: pulumi/actions@v7
        with:
          command: up
          stack-name: ${q(stack)}
          pulumi-version: ${q(PULUMI_VERSION)}
          policyPacks: policies
        env:
          PULUMI_ACCESS_TOKEN: ${q(expr("secrets.PULUMI_ACCESS_TOKEN"))}
          VERCEL_API_TOKEN: ${q(expr("secrets.VERCEL_API_TOKEN"))}
          GITHUB_TOKEN: ${q(expr("secrets.RUNBOOKS_GITHUB_TOKEN"))}
`;
  // Staging first: production deploys only what staging accepted.
  const ordered = [...stacks].sort((a, b) =>
    a === "production" ? 1 : b === "production" ? -1 : a < b ? -1 : 1,
  );
  const jobs = ordered
    .map((s, i) => job(s, i === 0 ? undefined : workflowSlug(ordered[i - 1]!)))
    .join("");
  const content = `${header("deployment of every stack on push to main", undefined)}
name: "runbooks: deploy"
on:
  push:
    branches: ["main"]
permissions:
  contents: read
concurrency:
  group: "runbooks-deploy"
  cancel-in-progress: false
jobs:
${jobs}`;
  return { path: ".github/workflows/deploy.yml", content };
}

/** The workflows one stack needs in the app repository. */
export function appWorkflowFiles(input: {
  backup?: BackupWorkflowInput;
  health?: HealthWorkflowInput;
}): WorkflowFile[] {
  const files: WorkflowFile[] = [];
  if (input.backup) files.push(renderBackupWorkflow(input.backup));
  if (input.health) files.push(renderHealthWorkflow(input.health));
  return files;
}

/** This repository's own workflows. */
export function projectWorkflowFiles(stacks: string[]): WorkflowFile[] {
  return [
    renderCiWorkflow(),
    renderPolicyReviewWorkflow(stacks),
    renderPolicyReviewCommentWorkflow(),
    renderDeployWorkflow(stacks),
  ];
}
