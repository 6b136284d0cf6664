/**
 * Compatibility entry for state written before row-level security moved to
 * `infra/rls/`. Pulumi keeps each resource's serialized loader in state, and
 * `refresh`/`destroy` run the loader that wrote the state, not the current
 * one; loaders from that time require `infra/postgres/provider` under the
 * project directory and call `createRlsTableProvider()`. This file forwards
 * them to the current provider, so such stacks keep working with no update.
 */
export { createRlsTableProvider } from "../rls/provider";
