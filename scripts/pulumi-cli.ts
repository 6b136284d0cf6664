/**
 * Locate (or build, the first time) the pinned Pulumi CLI and print where it is.
 *
 *   npx tsx scripts/pulumi-cli.ts          # prints the path of `pulumi`
 *   npx tsx scripts/pulumi-cli.ts --json   # {"bin","binDir","version","built"}
 *
 * Progress goes to stderr, so `$(npx tsx scripts/pulumi-cli.ts)` is safe.
 * To use it from a shell: export PATH="$(dirname "$(npx tsx scripts/pulumi-cli.ts)"):$PATH"
 */
import { ensurePulumiCli } from "../infra/tools/pulumi-cli";

async function main(argv: string[]): Promise<void> {
  const json = argv.includes("--json");
  const cli = await ensurePulumiCli({ quiet: json || argv.includes("--quiet") });
  console.log(json ? JSON.stringify(cli) : cli.bin);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(`[pulumi-cli] ${err.message}`);
    process.exit(2);
  });
}
