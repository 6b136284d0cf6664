/**
 * The base of every dynamic resource here: what `pulumi.dynamic.Resource`
 * registers (the same `pulumi-nodejs:dynamic/<module>:<type>` token, so URNs
 * and existing state are unchanged, and the same Node.js dynamic-provider
 * host runs it), with `__provider` set to this project's loader module
 * (stub.ts) instead of a closure-serialized provider object.
 *
 * Why not `pulumi.dynamic.Resource` itself: it refuses a `__provider` input
 * and always runs the closure serializer, whose output for even a six-method
 * forwarding object is 2.6 KB, stored twice per resource and rewritten by
 * the file backend after every step (bench/rls/engine.ts measures it).
 */
import * as pulumi from "@pulumi/pulumi";
import { loaderModule } from "./stub";

export abstract class LoadedDynamicResource extends pulumi.CustomResource {
  /**
   * The arguments of `pulumi.dynamic.Resource`, with the provider's id in
   * place of the provider: `module` and `type` make the token, e.g.
   * `runbooks-postgres` and `RlsTable`.
   */
  protected constructor(
    providerId: string,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions | undefined,
    module: string,
    type: string,
  ) {
    if ("__provider" in props) throw new Error(`${type} ${name}: __provider is set by the loader`);
    super(
      `pulumi-nodejs:dynamic/${module}:${type}`,
      name,
      { ...props, __provider: loaderModule(providerId) },
      opts,
    );
  }
}
