/**
 * The CrossGuard policy pack: `pulumi preview --policy-pack policies`.
 * Constructing the pack starts the policy server, so nothing else imports
 * this file; the policies themselves live in ./policies.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICIES, POLICY_PACK_NAME } from "./policies";

new PolicyPack(POLICY_PACK_NAME, {
  description:
    "Runbook guard rails for Vercel, GitHub, AWS backups and alerts, and Postgres row-level security.",
  policies: [...POLICIES],
});
