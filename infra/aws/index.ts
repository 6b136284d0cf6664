export * from "./backup-bucket";
export * from "./backup-plan";
export * from "./github-oidc-role";
export * from "./policies";
