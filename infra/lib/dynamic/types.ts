import type * as pulumi from "@pulumi/pulumi";

/**
 * A dynamic provider that says which one it is, so the serialized loader can
 * verify it loaded the right code before handing it a resource.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface IdentifiedProvider<I = any, O = any> extends pulumi.dynamic.ResourceProvider<
  I,
  O
> {
  readonly providerId: string;
}
