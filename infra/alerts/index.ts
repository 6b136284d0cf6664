export * from "./alerting";
export * from "./backup-freshness";
export * from "./cost-budgets";
export * from "./health-check";
export * from "./plan";
export * from "./severity-topics";
export * from "./slack-chatbot";
