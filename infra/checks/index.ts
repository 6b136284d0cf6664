export * from "./db-performance";
export * from "./db-performance-findings";
export * from "./db-status";
export * from "./db-status-findings";
export * from "./health";
export * from "./query-text";
export * from "./read-only-check";
