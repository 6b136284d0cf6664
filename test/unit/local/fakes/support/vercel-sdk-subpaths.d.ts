// @vercel/sdk publishes its error classes and parse counters only as
// subpaths ("./*" in its exports map), which this repository's Node10 module
// resolution cannot see; point the type checker at the same files. At run
// time vitest resolves the real subpaths.
declare module "@vercel/sdk/models/sdkerror.js" {
  export { SDKError } from "@vercel/sdk/esm/models/sdkerror.js";
}
declare module "@vercel/sdk/models/responsevalidationerror.js" {
  export { ResponseValidationError } from "@vercel/sdk/esm/models/responsevalidationerror.js";
}
declare module "@vercel/sdk/models/httpclienterrors.js" {
  export { RequestTimeoutError } from "@vercel/sdk/esm/models/httpclienterrors.js";
}
declare module "@vercel/sdk/types/unrecognized.js" {
  export { startCountingUnrecognized } from "@vercel/sdk/esm/types/unrecognized.js";
}
declare module "@vercel/sdk/types/defaultToZeroValue.js" {
  export { startCountingDefaultToZeroValue } from "@vercel/sdk/esm/types/defaultToZeroValue.js";
}
