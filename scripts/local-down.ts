/**
 * `npm run local:down`: destroy the local stack, then stop its services.
 * `--purge` also deletes their data and the local stack's state.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { stopLocalServices } from "../infra/local/services";
import {
  LOCAL_CONFIG_FILE,
  LOCAL_STACK,
  localPulumiEnv,
  localStackArgs,
  runPulumi,
} from "../infra/local/stack";
import { STATE_DIR } from "../infra/lib/paths";

const log = (line: string) => console.log(`[local:down] ${line}`);

async function main(): Promise<void> {
  const purge = process.argv.includes("--purge");
  if (existsSync(LOCAL_CONFIG_FILE)) {
    const env = await localPulumiEnv();
    log(`pulumi destroy --yes ${localStackArgs().join(" ")}`);
    const destroyed = await runPulumi(
      ["destroy", "--yes", "--skip-preview", ...localStackArgs()],
      env,
      { echo: true },
    );
    if (destroyed.code !== 0) {
      log(
        "pulumi destroy failed; services are left running so you can retry. Nothing was deleted.",
      );
      process.exit(1);
    }
    // --preserve-config: `stack rm` would otherwise delete the committed stacks/Pulumi.local.yaml.
    if (purge)
      await runPulumi(["stack", "rm", "--yes", "--preserve-config", "-s", LOCAL_STACK], env);
  } else {
    log("no local stack configuration found (.local/Pulumi.local.yaml); nothing to destroy");
  }
  await stopLocalServices(log, { purge });
  if (purge) {
    rmSync(LOCAL_CONFIG_FILE, { force: true });
    rmSync(join(STATE_DIR, ".pulumi", "stacks", "runbooks", `${LOCAL_STACK}.json`), {
      force: true,
    });
  }
  log("done");
}

main().catch((err: Error) => {
  console.error(`[local:down] ${err.message}`);
  process.exit(2);
});
