/**
 * What each secretlint rule means for this project: the finding id it
 * reports under, how bad a leak is on the project's scale, and how that kind
 * of credential is revoked. The recommended preset's rules are maintained
 * upstream; their ids are mapped here, the project's own rules bring their
 * metadata from their files.
 */
import type { DetectorInfo } from "./types";
import { disallowSupabaseAccessToken } from "./rules/disallow-supabase-access-token";
import { disallowSupabaseSecretKey } from "./rules/disallow-supabase-secret-key";
import { disallowSupabaseServiceRoleJwt } from "./rules/disallow-supabase-service-role-jwt";

const PRESET = "@secretlint/secretlint-rule-";

function detector(
  id: string,
  severity: DetectorInfo["severity"],
  what: string,
  rotate: string,
): DetectorInfo {
  return { id, severity, description: `Reports ${what}.`, rotate };
}

const BY_RULE: Record<string, DetectorInfo> = {
  [`${PRESET}aws`]: detector(
    "disallow-aws-credential",
    "critical",
    "AWS secret access keys and access key ids",
    "deactivate the access key in IAM (Users → Security credentials), create a new one for the workload, then delete the old key",
  ),
  [`${PRESET}gcp`]: detector(
    "disallow-gcp-service-account-key",
    "critical",
    "Google Cloud service account keys (JSON or P12)",
    "delete the key in IAM → Service accounts → Keys and create a new one, or move the workload to workload identity federation",
  ),
  [`${PRESET}privatekey`]: detector(
    "disallow-private-key",
    "critical",
    "PEM private keys (RSA, EC, OpenSSH, PGP)",
    "generate a new key pair, install the new public key or certificate wherever the old one is trusted, then remove the old one from every authorized_keys, deploy key and certificate store",
  ),
  [`${PRESET}npm`]: detector(
    "disallow-npm-token",
    "critical",
    "npm access tokens, in .npmrc, package.json or anywhere else",
    "revoke the token with `npm token revoke` (or npmjs.com → Access Tokens) and check the packages it could publish for versions you did not release",
  ),
  [`${PRESET}basicauth`]: detector(
    "disallow-basic-auth-credential",
    "high",
    "user:password credentials inside URLs",
    "change the password of that account on the server the URL points to",
  ),
  [`${PRESET}slack`]: detector(
    "disallow-slack-token",
    "high",
    "Slack tokens and incoming webhook URLs",
    "revoke the token or remove the webhook in the Slack app's settings (api.slack.com/apps) and create a new one",
  ),
  [`${PRESET}sendgrid`]: detector(
    "disallow-sendgrid-api-key",
    "high",
    "SendGrid API keys",
    "delete the key in SendGrid → Settings → API Keys and create a new one",
  ),
  [`${PRESET}shopify`]: detector(
    "disallow-shopify-token",
    "critical",
    "Shopify access tokens and shared secrets",
    "rotate the app's credentials in the Shopify admin or Partner dashboard",
  ),
  [`${PRESET}github`]: detector(
    "disallow-github-token",
    "critical",
    "GitHub tokens (personal, OAuth, app and fine-grained)",
    "revoke the token (github.com/settings/tokens, or the app's settings for app tokens) and review the account's security log for use you do not recognise",
  ),
  [`${PRESET}gitlab`]: detector(
    "disallow-gitlab-token",
    "critical",
    "GitLab personal access tokens",
    "revoke the token in GitLab → Preferences → Access tokens",
  ),
  [`${PRESET}grafana`]: detector(
    "disallow-grafana-token",
    "high",
    "Grafana Cloud API and service account tokens",
    "delete the token in Grafana → Administration → Service accounts and create a new one",
  ),
  [`${PRESET}openai`]: detector(
    "disallow-openai-api-key",
    "high",
    "OpenAI API keys",
    "revoke the key at platform.openai.com/api-keys and check the usage page for spend you did not cause",
  ),
  [`${PRESET}anthropic`]: detector(
    "disallow-anthropic-api-key",
    "high",
    "Anthropic API keys",
    "revoke the key in the Anthropic console (API keys) and check usage for spend you did not cause",
  ),
  [`${PRESET}groq`]: detector(
    "disallow-groq-api-key",
    "high",
    "Groq API keys",
    "revoke the key in the Groq console and create a new one",
  ),
  [`${PRESET}huggingface`]: detector(
    "disallow-huggingface-token",
    "high",
    "Hugging Face access tokens",
    "invalidate the token at huggingface.co/settings/tokens and create a new one",
  ),
  [`${PRESET}linear`]: detector(
    "disallow-linear-api-key",
    "high",
    "Linear API keys",
    "revoke the key in Linear → Settings → API and create a new one",
  ),
  [`${PRESET}notion`]: detector(
    "disallow-notion-token",
    "high",
    "Notion integration tokens",
    "refresh the integration's secret at notion.so/my-integrations",
  ),
  [`${PRESET}1password`]: detector(
    "disallow-1password-service-account-token",
    "critical",
    "1Password service account tokens",
    "revoke the service account token in 1Password → Developer → Service accounts; it can read every vault it was granted",
  ),
  [`${PRESET}database-connection-string`]: detector(
    "disallow-database-connection-string",
    "critical",
    "PostgreSQL, MySQL and MongoDB connection strings that carry a password",
    "change the database user's password (ALTER ROLE … PASSWORD, or the provider's dashboard), update the deployments that use it, then check the database's connection log",
  ),
  [`${PRESET}hashicorp-vault`]: detector(
    "disallow-vault-token",
    "critical",
    "HashiCorp Vault service, batch and recovery tokens",
    "revoke the token with `vault token revoke` (recovery tokens: generate a new root and revoke it) and audit what it read",
  ),
  [`${PRESET}vercel`]: detector(
    "disallow-vercel-token",
    "critical",
    "Vercel personal, integration, app and AI Gateway tokens (vcp_, vci_, vca_, vcr_, vck_)",
    "delete the token at vercel.com/account/settings/tokens (integration and app tokens: in the integration's settings) and check the team's activity log for deployments or env changes you did not make",
  ),
  [`${PRESET}databricks`]: detector(
    "disallow-databricks-token",
    "critical",
    "Databricks personal access tokens",
    "revoke the token in Databricks → User settings → Developer → Access tokens",
  ),
  [`${PRESET}docker`]: detector(
    "disallow-docker-token",
    "high",
    "Docker Hub personal access tokens",
    "delete the token at app.docker.com → Account settings → Personal access tokens and check the repositories it could push to",
  ),
  [`${PRESET}figma`]: detector(
    "disallow-figma-token",
    "medium",
    "Figma personal access tokens",
    "revoke the token in Figma → Settings → Security → Personal access tokens",
  ),
  "runbooks/supabase-secret-key": disallowSupabaseSecretKey,
  "runbooks/supabase-access-token": disallowSupabaseAccessToken,
  "runbooks/supabase-service-role-jwt": disallowSupabaseServiceRoleJwt,
};

/** An access key id alone signs nothing; it names which key to deactivate. */
const BY_MESSAGE: Record<string, Partial<DetectorInfo>> = {
  [`${PRESET}aws/AWSAccessKeyID`]: { severity: "medium" },
};

/**
 * The detector for a secretlint rule and message. A rule added to the preset
 * after this table was written still reports, as `high`, under an id derived
 * from its name, so an upgrade never silences a detector.
 */
export function detectorFor(ruleId: string, messageId: string): DetectorInfo {
  const base = BY_RULE[ruleId] ?? {
    id: `disallow-${ruleId
      .replace(/^.*secretlint-rule-/, "")
      .replace(/[^a-z0-9]+/gi, "-")
      .toLowerCase()}-secret`,
    severity: "high",
    description: `Reports secrets found by ${ruleId}.`,
    rotate: "revoke the credential with its issuer and create a new one",
  };
  return { ...base, ...BY_MESSAGE[`${ruleId}/${messageId}`] };
}

/** Every finding id the scan can report, for validating allowlist entries. */
export function knownFindingIds(): string[] {
  return [...new Set(Object.values(BY_RULE).map((d) => d.id))].sort();
}
