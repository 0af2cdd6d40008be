import { after, test } from "node:test";
import { PostgresStore } from "../stores/postgres.ts";
import { STORE_CASE_GROUPS, testStore } from "../testing.ts";
import { postgresServer } from "./_postgres_server.ts";

const server = await postgresServer();
const skip = typeof server === "string" ? server : undefined;
if (skip) console.log(`Skipping the PostgreSQL store tests: ${skip}`);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

let schemas = 0;
const freshSchema = () => `t${++schemas}`;

testStore(test, {
  name: "postgres",
  open: () => new PostgresStore({ url, schema: freshSchema(), max: 4 }),
  skip: skip ? Object.fromEntries(STORE_CASE_GROUPS.map((group) => [group, skip])) : {},
});
