export * from "./actions-settings";
export * from "./plan";
export * from "./workflow-files";
export * from "./workflows";
