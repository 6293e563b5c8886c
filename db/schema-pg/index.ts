/**
 * The PostgreSQL twin of db/schema: the same tables, columns, keys and indexes in drizzle's pg
 * dialect (db/schema-pg/schema-parity.test.ts proves it). Integers are bigint (SQLite's INTEGER is
 * 64-bit and deadlines are unix ms), reals double precision, booleans boolean, JSON the same text.
 * Enum lists and value types are imported from db/schema so they are declared once.
 */
export * from "./audit";
export * from "./conversations";
export * from "./generation";
export * from "./jobs";
export * from "./judgments";
export * from "./membership";
export * from "./projects";
export * from "./scores";
export * from "./snapshots";
export * from "./users";
