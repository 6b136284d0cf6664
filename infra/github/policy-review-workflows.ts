/**
 * The policy-pack review of every pull request, in two workflows: one runs
 * the review on the pull request's code with no write access and uploads the
 * report, the other (on workflow_run, with the repository's token) posts it
 * as one comment, updated in place.
 */
import { PULUMI_VERSION } from "../tools/pulumi-cli";
import { expr, header, q, SETUP_NODE, type WorkflowFile } from "./workflow-text";

/** Name of the policy-review workflow; the comment workflow follows its runs by this name. */
export const POLICY_REVIEW_WORKFLOW_NAME = "runbooks: policy review";
/** First line of the policy:review report; the comment workflow edits the comment that starts with it. */
export const POLICY_REVIEW_MARKER = "<!-- runbooks:policy-review -->";
/** Artifact name prefix of each stack's policy:review report. */
export const POLICY_REVIEW_ARTIFACT = "policy-review";

/**
 * Every pull request, forks included:
 * - \`review\`: \`npm run policy:review\` per stack, under mocks, with no
 *   credentials and a read-only token; the reports are uploaded for the
 *   comment workflow, and a mandatory violation fails the job.
 * - \`preview\`: same-repository pull requests only (previews need provider
 *   credentials, which forks must not get): \`pulumi preview --policy-pack
 *   policies\` per stack through pulumi/actions, which posts the preview and its
 *   violations as one comment per stack and edits it on every push. AWS is
 *   reached through the stack's read-only preview role (OIDC), whose ARN the
 *   stack exports.
 */
export function renderPolicyReviewWorkflow(stacks: string[]): WorkflowFile {
  const sameRepo = "github.event.pull_request.head.repo.full_name == github.repository";
  const content = `${header("policy-pack review of pull requests", undefined)}
name: ${q(POLICY_REVIEW_WORKFLOW_NAME)}
on:
  pull_request:
    paths:
      - "infra/**"
      - "policies/**"
      - "stacks/**"
      - "scripts/**"
      - "Pulumi.yaml"
      - "package.json"
      - "package-lock.json"
permissions:
  contents: read
concurrency:
  group: ${q(`runbooks-policy-review-${expr("github.event.pull_request.number")}`)}
  cancel-in-progress: true
jobs:
  review:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    strategy:
      fail-fast: false
      matrix:
        stack: ${JSON.stringify(stacks)}
    steps:
${SETUP_NODE}
      - name: Policy review under mocks (no credentials)
        id: review
        env:
          STACK: ${q(expr("matrix.stack"))}
        run: |
          set +e
          mkdir -p "$RUNNER_TEMP/review"
          npm run --silent policy:review -- -s "$STACK" --out "$RUNNER_TEMP/review/$STACK.md"
          echo "code=$?" >> "$GITHUB_OUTPUT"
      - name: Keep the report for the pull-request comment
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: ${q(`${POLICY_REVIEW_ARTIFACT}-${expr("matrix.stack")}`)}
          path: ${q(expr("runner.temp") + "/review/")}
          retention-days: 7
      - name: Fail on a mandatory violation
        if: ${q(expr("steps.review.outputs.code != '0'"))}
        env:
          CODE: ${q(expr("steps.review.outputs.code"))}
        run: |
          echo "::error::policy:review exited $CODE (1: mandatory violations, 2: could not review); see the report in the pull request"
          exit 1
  preview:
    if: ${q(expr(sameRepo))}
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: read
      id-token: write
      pull-requests: write
    strategy:
      fail-fast: false
      matrix:
        stack: ${JSON.stringify(stacks)}
    env:
      PULUMI_ACCESS_TOKEN: ${q(expr("secrets.PULUMI_ACCESS_TOKEN"))}
      STACK: ${q(expr("matrix.stack"))}
    steps:
${SETUP_NODE}
      - name: Install the Pulumi CLI
        uses: pulumi/actions@v7
        with:
          pulumi-version: ${q(PULUMI_VERSION)}
      - name: Read the stack's read-only preview role from its outputs
        id: role
        run: |
          storage="$(pulumi stack output backupStorage --json --stack "$STACK")"
          role="$(jq -r '.previewRoleArn // empty' <<< "$storage")"
          region="$(jq -r '.region // empty' <<< "$storage")"
          if [ -z "$role" ] || [ -z "$region" ]; then
            echo "::error::stack $STACK exports no backupStorage.previewRoleArn yet: run 'pulumi up -s $STACK' once (it creates the preview role)"
            exit 1
          fi
          echo "arn=$role" >> "$GITHUB_OUTPUT"
          echo "region=$region" >> "$GITHUB_OUTPUT"
      - name: Assume the preview role through OIDC (read-only, pull requests of this repository only)
        uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${q(expr("steps.role.outputs.arn"))}
          aws-region: ${q(expr("steps.role.outputs.region"))}
          role-session-name: ${q(`runbooks-preview-${expr("github.event.pull_request.number")}`)}
      - name: Preview with the policy pack
        uses: pulumi/actions@v7
        with:
          command: preview
          stack-name: ${q(expr("matrix.stack"))}
          pulumi-version: ${q(PULUMI_VERSION)}
          policyPacks: policies
          comment-on-pr: true
          edit-pr-comment: true
          github-token: ${q(expr("secrets.GITHUB_TOKEN"))}
        env:
          VERCEL_API_TOKEN: ${q(expr("secrets.VERCEL_API_TOKEN"))}
          GITHUB_TOKEN: ${q(expr("secrets.RUNBOOKS_GITHUB_TOKEN"))}
`;
  return { path: ".github/workflows/policy-review.yml", content };
}

/**
 * Posts the policy:review reports of a pull request as ONE comment, edited
 * on every push. It runs after the review (\`workflow_run\`) with a token that
 * may comment, and never checks out or runs the pull request's code: a fork's
 * report is data here, nothing more. The pull request is found by its head
 * commit, not by anything inside the (untrusted) artifact.
 */
export function renderPolicyReviewCommentWorkflow(): WorkflowFile {
  const script = [
    "const fs = require('fs');",
    "const path = require('path');",
    "const run = context.payload.workflow_run;",
    "const owner = run.head_repository.owner.login;",
    "const pulls = await github.paginate(github.rest.pulls.list, {",
    "  ...context.repo, state: 'open', head: `${owner}:${run.head_branch}`,",
    "});",
    "const pr = pulls.find((p) => p.head.sha === run.head_sha);",
    "if (!pr) { core.info(`no open pull request for ${run.head_sha}`); return; }",
    "const dir = process.env.REPORTS;",
    "const files = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.md')).sort() : [];",
    "const reports = files.map((f) => fs.readFileSync(path.join(dir, String(f)), 'utf8').replaceAll(process.env.MARKER, ''));",
    "const body = [process.env.MARKER, '## Policy review', '',",
    "  reports.length ? reports.join('\\n---\\n') : `The review produced no report (run ${run.html_url}).`].join('\\n').slice(0, 65000);",
    "const comments = await github.paginate(github.rest.issues.listComments, { ...context.repo, issue_number: pr.number });",
    "const mine = comments.find((c) => c.user.type === 'Bot' && c.body.startsWith(process.env.MARKER));",
    "if (mine) await github.rest.issues.updateComment({ ...context.repo, comment_id: mine.id, body });",
    "else await github.rest.issues.createComment({ ...context.repo, issue_number: pr.number, body });",
  ];
  const indent = (lines: string[], n: number) => lines.map((l) => " ".repeat(n) + l).join("\n");
  const content = `${header("the policy-review comment on pull requests", undefined)}
name: "runbooks: policy review comment"
on:
  workflow_run:
    workflows: [${q(POLICY_REVIEW_WORKFLOW_NAME)}]
    types: [completed]
permissions:
  contents: read
jobs:
  comment:
    if: ${q(expr("github.event.workflow_run.event == 'pull_request'"))}
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      actions: read
      pull-requests: write
    steps:
      - name: Download the reports of the review run
        uses: actions/download-artifact@v4
        with:
          pattern: ${q(`${POLICY_REVIEW_ARTIFACT}-*`)}
          path: ${q(expr("runner.temp") + "/reports")}
          run-id: ${q(expr("github.event.workflow_run.id"))}
          github-token: ${q(expr("secrets.GITHUB_TOKEN"))}
      - name: Post or edit the one review comment
        uses: actions/github-script@v7
        env:
          REPORTS: ${q(expr("runner.temp") + "/reports")}
          MARKER: ${q(POLICY_REVIEW_MARKER)}
        with:
          script: |
${indent(script, 12)}
`;
  return { path: ".github/workflows/policy-review-comment.yml", content };
}
