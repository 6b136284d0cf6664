export * from "./backup-bucket";
export * from "./plan";
export * from "./github-oidc-role";
export * from "./iam";
