/**
 * The Rotation policies against the rotation area's real resources: the
 * production stack's graph recorded under mocks, as `policy:review` does.
 * The pack reads every `runbooks-rotation` resource as one managed secret,
 * so that module holds exactly one RotatedCredential per declared
 * credential, with the contract's inputs.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readStackConfig } from "../../../infra/config/stack-file";
import type { RotationSinkRef } from "../../../infra/rotation/stack-plan";
import {
  ROTATED_SECRET_INPUTS,
  ROTATION_TYPE_PREFIX,
  type RotatedSecretPolicyInputs,
  type RotationSink,
} from "../../../policies/contracts";
import type { ReviewResource } from "../../../policies/review/evaluate";
import { reviewStack } from "../../../policies/review/review";
import { enforceRotatedSecretMaxAge } from "../../../policies/rotation/enforce-rotated-secret-max-age";
import { requireRotatedSecretSinks } from "../../../policies/rotation/require-rotated-secret-sinks";
import { assertHasViolation, assertNoViolations, named, withChange } from "../../support/policies";

const CREDENTIAL = `${ROTATION_TYPE_PREFIX}RotatedCredential`;
/** The provider's sink shape is the contract's: type-checking fails here otherwise. */
const asContract = (sink: RotationSinkRef): RotationSink => sink;

let baseline: ReviewResource[];

function edit(name: string, change: (props: Record<string, unknown>) => void) {
  return withChange(baseline, named(CREDENTIAL, name), (r) => {
    change(r.inputs);
    change(r.outputs);
  });
}

beforeAll(async () => {
  ({ resources: baseline } = await reviewStack({ stack: "production" }));
});

describe("rotation policies on the production stack's rotated credentials", () => {
  it("see one managed secret per declared credential, with the contract's inputs", () => {
    const { config } = readStackConfig({ stack: "production" });
    const managed = baseline.filter((r) => r.type.startsWith(ROTATION_TYPE_PREFIX));
    expect(managed.map((r) => r.type)).toEqual(config.rotation.credentials.map(() => CREDENTIAL));
    const inputs = managed.map((r): RotatedSecretPolicyInputs => ({
      name: r.inputs[ROTATED_SECRET_INPUTS.name] as string,
      maxAgeDays: r.inputs[ROTATED_SECRET_INPUTS.maxAgeDays] as number,
      sinks: (r.inputs[ROTATED_SECRET_INPUTS.sinks] as RotationSinkRef[]).map(asContract),
    }));
    expect(inputs).toEqual([
      {
        name: "app-db-login",
        maxAgeDays: 30.083,
        sinks: [{ kind: "vercel-env", target: "acme-app/DATABASE_URL (production)" }],
      },
      {
        name: "supabase-secret-key",
        maxAgeDays: 90,
        sinks: [{ kind: "vercel-env", target: "acme-app/SUPABASE_SECRET_KEY (production)" }],
      },
    ]);
  });

  it("pass as shipped", async () => {
    await assertNoViolations(enforceRotatedSecretMaxAge, baseline);
    await assertNoViolations(requireRotatedSecretSinks, baseline);
  });

  it("enforce-rotated-secret-max-age: a longer interval or overlap", async () => {
    await assertHasViolation(
      enforceRotatedSecretMaxAge,
      edit("runbooks-rotation-supabase-secret-key", (p) => (p.maxAgeDays = 91)),
      "managed secret supabase-secret-key may stay valid for 91 days, over the limit of 90",
    );
    await assertHasViolation(
      enforceRotatedSecretMaxAge,
      baseline,
      "managed secret app-db-login may stay valid for 30.083 days, over the limit of 30",
      { maxAgeDays: 30 },
    );
  });

  it("require-rotated-secret-sinks: a credential nothing reads", async () => {
    await assertHasViolation(
      requireRotatedSecretSinks,
      edit("runbooks-rotation-app-db-login", (p) => (p.sinks = [])),
      "managed secret app-db-login is written to no sink",
    );
  });
});
