export * from "./audit";
export * from "./generation";
export * from "./jobs";
export * from "./judgments";
export * from "./projects";
export * from "./scores";
export * from "./snapshots";
export * from "./users";
