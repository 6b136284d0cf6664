/** Row-level security as code: model, SQL, diff, lints, smoke test and the Pulumi resources. */
export * from "./model";
export * from "./sql";
export * from "./diff";
export * from "./catalog";
export * from "./expressions";
export * from "./lints/index";
export * from "./smoke-plan";
export { runSmoke, type SmokeOptions } from "./smoke";
export {
  applyTable,
  dropManagedPolicies,
  LockTimeoutError,
  TableMissingError,
  type LockOptions,
} from "./apply";
export { PostgresError, closePools, withConnection, withTransaction } from "../postgres/client";
export {
  createRlsTableProvider,
  checkInputs,
  type RlsTableInputs,
  type RlsTableOutputs,
} from "./provider";
export { rlsProviderStub } from "./provider-stub";
export { RlsTable, type RlsTableArgs } from "./rls-table";
export { RlsPolicies, type RlsPoliciesArgs } from "./rls-policies";
export { rlsProviderVersion } from "./version";
export { APP_RLS_TABLES, APP_SCHEMA_SQL_PATH } from "../local/example-app/rls";
