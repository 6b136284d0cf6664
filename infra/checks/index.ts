export * from "./db-performance";
export * from "./db-status";
export * from "./findings";
export * from "./health";
export * from "./query-text";
export * from "../postgres/session";
