/**
 * Serialize a dynamic provider's loader exactly as `pulumi.dynamic.Resource`
 * does (closure serialization, under ts-node like the Pulumi Node.js language
 * host) and print the module text on stdout.
 * argv: <providerId> [<checkout recorded as the fallback root>]
 */
import * as pulumi from "@pulumi/pulumi";
import { providerStub } from "../../../infra/lib/dynamic/stub";

const [providerId, root] = process.argv.slice(2);
if (!providerId) throw new Error("usage: serialize-stub.ts <providerId> [root]");
const provider = root ? providerStub(providerId, root) : providerStub(providerId);

pulumi.runtime
  .serializeFunction(() => provider, { allowSecrets: true })
  .then((sf) => {
    process.stdout.write(JSON.stringify({ text: sf.text, containsSecrets: sf.containsSecrets }));
  })
  .catch((error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  });
