// Kinetik on its PostgreSQL store, with its defaults: completed jobs kept (with their logs and
// results), job events published to other processes, a lease per job, every add committed
// durably before it resolves. `complete` fires after the settle committed.
import { kinetik } from "../../../mod.ts";
import { PostgresStore } from "../../../stores/postgres.ts";
import deno from "../../../deno.json" with { type: "json" };
import { kinetikAdapter } from "./_kinetik_queue.ts";

export default async function create({ url }: { url: string }) {
  const queue = kinetik(new PostgresStore({ url }), { interval: "10s" });
  await queue.count(); // Connected and the schema made before the clock starts.
  return kinetikAdapter(queue, {
    kinetik: deno.version,
    postgres: deno.imports.postgres.replace("npm:", ""),
  });
}
