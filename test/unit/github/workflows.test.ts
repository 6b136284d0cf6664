/**
 * The workflow files: rendered YAML parses, does what the runbook needs, holds
 * no credentials, and the copies kept in this repository's .github/workflows/
 * match what the renderer produces for each stack (regenerate with
 * `npx vitest run test/unit/github -u`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseStackConfig, stackFileFor } from "../../../infra/config/index";
import { BACKUP_METRIC } from "../../../infra/alerts/plan";
import { BACKUP_SESSION_SECONDS } from "../../../infra/backup-storage/github-oidc-role";
import {
  appWorkflowFiles,
  backupWorkflowNames,
  projectWorkflowFiles,
  renderBackupWorkflow,
  renderHealthWorkflow,
  type WorkflowFile,
} from "../../../infra/github/workflows";
import { planStack } from "../../../infra/plan";
import { rawStackConfig } from "../../support/mocks/stack-config";
import type { Loose } from "../../support/mocks/fixtures";

const ROOT = join(__dirname, "..", "..", "..");
const STACKS = readdirSync(join(ROOT, "stacks"))
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => s !== undefined)
  .sort();

function stackConfig(stack: string) {
  return {
    ...parseStackConfig(rawStackConfig(stack), { stack, stackFile: stackFileFor(stack) }),
    stack,
  };
}

/** Stacks that deploy to cloud accounts (the policy review previews these). */
const CLOUD_STACKS = STACKS.filter((s) => {
  const f = stackConfig(s).features;
  return f.vercel || f.github || f.backupStorage || f.alerts;
});

function stackWorkflows(stack: string): WorkflowFile[] {
  const plan = planStack(
    stackConfig(stack),
    new Set(stackConfig(stack).rotation.credentials.map((c) => c.name)),
  );
  return appWorkflowFiles({ backup: plan.backupWorkflow, health: plan.healthWorkflow });
}

type Yaml = Loose;
const yamlOf = (file: WorkflowFile) => parse(file.content) as Yaml;

/** Every `run:` script of a workflow. */
function scripts(doc: Yaml): string[] {
  return Object.values(doc.jobs as Record<string, Yaml>).flatMap((job) =>
    (job.steps as Yaml[]).filter((s) => s.run).map((s) => s.run as string),
  );
}

describe("the backup workflow", () => {
  const file = renderBackupWorkflow({
    stack: "production",
    schedule: "17 */6 * * *",
    environment: "production",
    sessionSeconds: BACKUP_SESSION_SECONDS,
  });
  const doc = yamlOf(file);
  const job = doc.jobs.backup as Yaml;
  const names = backupWorkflowNames("production", "production");

  it("runs on the configured schedule, in the OIDC environment, one run at a time", () => {
    expect(file.path).toBe(".github/workflows/runbooks-backup-production.yml");
    expect(doc.on.schedule).toEqual([{ cron: "17 */6 * * *" }]);
    expect(job.environment).toBe("production");
    expect(doc.concurrency).toEqual({
      group: "runbooks-backup-production",
      "cancel-in-progress": false,
    });
    expect(job["timeout-minutes"]).toBeLessThan(BACKUP_SESSION_SECONDS / 60);
  });

  it("gets AWS credentials only through OIDC, with the least workflow permissions", () => {
    expect(doc.permissions).toEqual({ contents: "read" });
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
    const assume = (job.steps as Yaml[]).find((s) =>
      String(s.uses).startsWith("aws-actions/configure-aws-credentials@"),
    )!;
    expect(assume.with["role-to-assume"]).toBe(`\${{ vars.${names.roleArn} }}`);
    expect(assume.with["role-duration-seconds"]).toBe(BACKUP_SESSION_SECONDS);
    expect(file.content).not.toMatch(
      /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/,
    );
  });

  it("reads the database URL only from its secret and everything else from variables", () => {
    const refs = [...file.content.matchAll(/\$\{\{\s*(secrets|vars)\.(\w+)\s*\}\}/g)].map(
      (m) => `${m[1]}.${m[2]}`,
    );
    expect(refs.filter((r) => r.startsWith("secrets."))).toEqual([`secrets.${names.databaseUrl}`]);
    expect(new Set(refs.filter((r) => r.startsWith("vars.")))).toEqual(
      new Set(
        [names.bucket, names.prefix, names.kmsKeyArn, names.roleArn, names.region].map(
          (n) => `vars.${n}`,
        ),
      ),
    );
  });

  it("runs this repository's tested `npm run backup` (no bash pg_dump), with the bucket, prefix and key it reads", () => {
    const [install, backup] = scripts(doc);
    expect(install).toContain("postgresql-client-${PG_CLIENT_MAJOR}");
    expect(backup).toBe('npm ci && npm run backup -- --stack "$STACK"');
    expect(scripts(doc).join("\n")).not.toMatch(/pg_dump|aws s3|put-metric-data/);
    // The names settings.ts reads: bucket, prefix and SSE-KMS key from the workflow's variables.
    expect(job.env).toMatchObject({
      STACK: "production",
      PG_BIN: `/usr/lib/postgresql/${job.env.PG_CLIENT_MAJOR}/bin`,
      RUNBOOKS_BACKUP_BUCKET: `\${{ vars.${names.bucket} }}`,
      RUNBOOKS_BACKUP_PREFIX: `\${{ vars.${names.prefix} }}`,
      RUNBOOKS_BACKUP_KMS_KEY_ARN: `\${{ vars.${names.kmsKeyArn} }}`,
    });
    const steps = (job.steps as Yaml[]).map((s) => String(s.uses ?? s.name));
    // Credentials before the backup, checkout and Node before npm.
    expect(steps.indexOf("actions/checkout@v4")).toBeLessThan(
      steps.findIndex((s) => s.startsWith("Back up")),
    );
    expect(
      steps.findIndex((s) => s.startsWith("aws-actions/configure-aws-credentials")),
    ).toBeLessThan(steps.findIndex((s) => s.startsWith("Back up")));
    // The metric's stack dimension is the stack the backup runs for.
    expect(BACKUP_METRIC.dimension).toBe("Stack");
  });

  it("has scripts bash accepts", () => {
    const all = scripts(doc);
    // Without this count an empty workflow would pass: nothing to check is not "accepted".
    expect(all).toHaveLength(2);
    for (const script of all) execFileSync("bash", ["-n", "-c", script]);
    expect(() => execFileSync("bash", ["-n", "-c", "if then"], { stdio: "pipe" })).toThrow();
  });

  it("omits the environment and suffixes names with the stack at repository scope", () => {
    const repoScoped = yamlOf(
      renderBackupWorkflow({ stack: "staging", schedule: "0 3 * * *", sessionSeconds: 3600 }),
    );
    expect(repoScoped.jobs.backup.environment).toBeUndefined();
    expect(repoScoped.jobs.backup.env.RUNBOOKS_BACKUP_BUCKET).toBe(
      "${{ vars.RUNBOOKS_BACKUP_BUCKET_STAGING }}",
    );
  });
});

describe("the health workflow", () => {
  it("requests the health URL every five minutes and fails on an error status", () => {
    const file = renderHealthWorkflow({
      stack: "staging",
      url: "https://staging.acme.example/api/health",
    });
    const doc = yamlOf(file);
    expect(doc.on.schedule).toEqual([{ cron: "*/5 * * * *" }]);
    expect(doc.jobs.health.env.HEALTH_URL).toBe("https://staging.acme.example/api/health");
    expect(scripts(doc)[0]).toMatch(/^curl --fail-with-body .*"\$HEALTH_URL"$/);
  });

  it("cannot be broken by a URL with YAML or shell syntax in it", () => {
    const url = 'https://x.example/api/health?a=1&b="2" #: $(id)';
    const doc = yamlOf(renderHealthWorkflow({ stack: "s", url }));
    expect(doc.jobs.health.env.HEALTH_URL).toBe(url);
  });
});

describe("this repository's workflows", () => {
  const [ci, review, comment, deploy] = projectWorkflowFiles(CLOUD_STACKS).map(yamlOf) as [
    Yaml,
    Yaml,
    Yaml,
    Yaml,
  ];
  const steps = (job: Yaml) => job.steps as Yaml[];
  const uses = (job: Yaml, action: string) =>
    steps(job).filter((s) => String(s.uses).startsWith(`${action}@`));

  it("runs checks and the RLS smoke test in CI, the smoke test only with secrets available", () => {
    expect(Object.keys(ci.jobs)).toEqual(["checks", "secrets-scan", "rls-smoke"]);
    expect(scripts(ci)).toEqual(
      expect.arrayContaining([
        "npm run type-check",
        "npm run lint",
        "npm test",
        "npm run rls:smoke -- --stack staging",
      ]),
    );
    expect(ci.jobs["rls-smoke"].if).toContain(
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
    // npm test builds the Pulumi CLI, MinIO and actionlint from Go modules.
    expect(uses(ci.jobs.checks, "actions/setup-go")[0]!.with["go-version"]).toMatch(/^>=1\.25/);
  });

  it("scans the whole history for secrets and uploads the SARIF to code scanning, even after a leak", () => {
    const job = ci.jobs["secrets-scan"];
    expect(job.permissions).toEqual({ contents: "read", "security-events": "write" });
    expect(job.steps[0]).toEqual({ uses: "actions/checkout@v4", with: { "fetch-depth": 0 } });
    expect(scripts({ jobs: { job } })).toEqual([
      "npm ci",
      "npm run secrets:scan -- --sarif secrets-scan.sarif",
    ]);
    const upload = (job.steps as Yaml[]).find(
      (s) => s.uses === "github/codeql-action/upload-sarif@v3",
    )!;
    expect(upload.with).toEqual({ sarif_file: "secrets-scan.sarif", category: "secrets-scan" });
    expect(upload.if).toMatch(
      /^\$\{\{ always\(\) && hashFiles\('secrets-scan\.sarif'\) != '' && \(/,
    );
    expect(upload.if).toContain(
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
  });

  it("reviews every cloud stack under mocks on every pull request, forks included, without secrets", () => {
    expect(CLOUD_STACKS).toEqual(["production", "staging"]);
    const job = review.jobs.review as Yaml;
    expect(job.strategy.matrix.stack).toEqual(CLOUD_STACKS);
    expect(job.if).toBeUndefined();
    expect(review.permissions).toEqual({ contents: "read" });
    expect(job.permissions).toBeUndefined();
    expect(JSON.stringify(job)).not.toMatch(/secrets\.|id-token/);
    const run = steps(job).find((s) => s.id === "review")!.run as string;
    expect(run).toContain(
      'npm run --silent policy:review -- -s "$STACK" --out "$RUNNER_TEMP/review/$STACK.md"',
    );
    expect(uses(job, "actions/upload-artifact")[0]!.if).toBe("always()");
    expect(steps(job).at(-1)!.if).toBe("${{ steps.review.outputs.code != '0' }}");
  });

  it("previews same-repository pull requests with the policy pack, through the exported read-only role", () => {
    const job = review.jobs.preview as Yaml;
    expect(job.if).toBe(
      "${{ github.event.pull_request.head.repo.full_name == github.repository }}",
    );
    expect(job.permissions).toEqual({
      contents: "read",
      "id-token": "write",
      "pull-requests": "write",
    });
    const text = JSON.stringify(review);
    expect(text).not.toContain("RUNBOOKS_PREVIEW_ROLE_ARN");
    expect(text).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/);
    const role = steps(job).find((s) => s.id === "role")!.run as string;
    expect(role).toContain("pulumi stack output backupStorage --json");
    expect(role).toContain(".previewRoleArn");
    expect(uses(job, "aws-actions/configure-aws-credentials")[0]!.with["role-to-assume"]).toBe(
      "${{ steps.role.outputs.arn }}",
    );
    const preview = uses(job, "pulumi/actions").find((s) => s.with.command === "preview")!;
    expect(preview.with).toMatchObject({
      "stack-name": "${{ matrix.stack }}",
      policyPacks: "policies",
      "comment-on-pr": true,
      "edit-pr-comment": true,
    });
  });

  it("posts the reports as one edited comment without running pull-request code", () => {
    expect(comment.on).toEqual({
      workflow_run: { workflows: ["runbooks: policy review"], types: ["completed"] },
    });
    const job = comment.jobs.comment as Yaml;
    expect(job.permissions).toEqual({ actions: "read", "pull-requests": "write" });
    expect(steps(job).some((s) => String(s.uses).startsWith("actions/checkout@") || s.run)).toBe(
      false,
    );
    const script = uses(job, "actions/github-script")[0]!.with.script as string;
    expect(script).toContain("updateComment");
    expect(script).toContain("p.head.sha === run.head_sha");
  });

  it("deploys staging, then production behind its environment, on push to main", () => {
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    expect(Object.keys(deploy.jobs)).toEqual(["staging", "production"]);
    expect(deploy.jobs.production.needs).toBe("staging");
    for (const stack of ["staging", "production"]) {
      const job = deploy.jobs[stack] as Yaml;
      expect(job.environment).toBe(stack);
      expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
      expect(uses(job, "pulumi/actions")[0]!.with).toMatchObject({
        command: "up",
        "stack-name": stack,
      });
    }
    expect(deploy.concurrency).toEqual({ group: "runbooks-deploy", "cancel-in-progress": false });
  });
});

describe("workflow files kept in this repository", () => {
  for (const file of projectWorkflowFiles(CLOUD_STACKS)) {
    it(`${file.path} matches the renderer`, async () => {
      await expect(file.content).toMatchFileSnapshot(join(ROOT, file.path));
    });
  }

  for (const stack of STACKS) {
    const config = stackConfig(stack);
    const files = stackWorkflows(stack);
    if (!config.features.github || files.length === 0) continue;
    if (config.github?.commitWorkflows) {
      it(`stack '${stack}' commits its workflows to the app repository, so none is kept here`, () => {
        for (const file of files) expect(existsSync(join(ROOT, file.path)), file.path).toBe(false);
      });
    } else {
      for (const file of files) {
        it(`stack '${stack}': ${file.path} matches the renderer`, async () => {
          await expect(file.content).toMatchFileSnapshot(join(ROOT, file.path));
        });
      }
    }
  }
});
