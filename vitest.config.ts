import { defineConfig } from "vitest/config";
import { TEST_WORKERS } from "./test/support/workers";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "policies/**/*.test.ts"],
    exclude: ["node_modules/**", ".tools/**", ".state/**", ".local/**"],
    // Real Postgres, S3 and Pulumi processes start once for the whole run.
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    // Each worker has its own Postgres cluster (test/support/workers.ts says why).
    maxWorkers: TEST_WORKERS,
    minWorkers: 1,
    // The SDK's notice that Node 20 support ends in 2027 is known (README, Prerequisites); keep test output readable.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Tests print nothing secret, but the engine's output can be long; keep the console readable.
    silent: false,
    // CI reads the counts from this file for its closing "N passed, N failed" line.
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".ci-results.json" }]]
      : ["default"],
  },
});
