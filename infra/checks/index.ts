export * from "./db-performance";
export * from "./db-status";
export * from "./health";
export * from "./query-text";
export * from "./read-only-check";
