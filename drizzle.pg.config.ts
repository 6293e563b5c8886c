import { defineConfig } from "drizzle-kit";

// PostgreSQL migrations, generated from the pg twin of the schema (db/schema-pg); db/migrations stays SQLite's.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema-pg/index.ts",
  out: "./db/migrations-pg",
});
