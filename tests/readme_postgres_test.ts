/**
 * The README's PostgreSQL example, as written: its code block runs against a private server
 * (the URL in it replaced by the server's, the package names by the project's files), after
 * the `orders` table it assumes was made; then the order and its job are both there.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, test } from "node:test";
import postgres from "postgres";
import { freshDatabase } from "./_postgres_fixtures.ts";
import { postgresServer } from "./_postgres_server.ts";
import { unavailable } from "./_unavailable.ts";

const ROOT = new URL("..", import.meta.url);
const README = readFileSync(new URL("README.md", ROOT), "utf8");
const HEADING = "\n### PostgreSQL — jobs beside your data, enqueued in your transactions\n";
const server = await postgresServer();
const skip = unavailable(
  "the README's PostgreSQL example",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
const dir = mkdtempSync(join(tmpdir(), "kinetik-readme-pg-"));
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (typeof server !== "string") await server.dispose();
});

/** The first ts block of the PostgreSQL section. */
function example(): string {
  const section = README.slice(README.indexOf(HEADING));
  const block = /```ts\n([^]*?)```/.exec(section)?.[1];
  assert.ok(block, "a ts block in the PostgreSQL section");
  return block;
}

test("README's PostgreSQL example commits an order and its job together", { skip }, async () => {
  const dbUrl = await freshDatabase(url, "readme");
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`CREATE TABLE orders (id serial PRIMARY KEY, total int NOT NULL)`;
    const code = example()
      .replace(/postgres\("postgres:\/\/[^"]+"\)/, `postgres(${JSON.stringify(dbUrl)})`)
      .replace('from "postgres"', `from ${JSON.stringify(import.meta.resolve("postgres"))}`)
      .replace(
        'from "@kinetik/kinetik/stores/postgres"',
        `from ${JSON.stringify(new URL("stores/postgres.ts", ROOT).href)}`,
      )
      .replace('from "@kinetik/kinetik"', `from ${JSON.stringify(new URL("mod.ts", ROOT).href)}`);
    assert.ok(code.includes(dbUrl), "the example's URL was replaced");
    const file = join(dir, "example.ts");
    writeFileSync(file, code);
    await import(pathToFileURL(file).href);

    const orders = await sql`SELECT id, total FROM orders`;
    assert.deepEqual(orders.map((row) => ({ ...row })), [{ id: 1, total: 42 }]);
    const jobs = await sql`SELECT task, status, data FROM kinetik.jobs`;
    assert.deepEqual(jobs.map((row) => ({ ...row })), [
      { task: "send receipt", status: "queued", data: '{"order":1}' },
    ]);
  } finally {
    await sql.end({ timeout: 5 });
  }
});
