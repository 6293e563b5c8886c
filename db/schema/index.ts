export * from "./audit";
export * from "./judgments";
export * from "./projects";
export * from "./users";
