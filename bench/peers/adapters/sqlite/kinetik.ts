// Kinetik on its SQLite store, with its defaults: WAL, synchronous=NORMAL, completed jobs kept,
// job events written to the events table while another process subscribes, a lease per job.
// `complete` fires after the settle transaction committed.
import { kinetik } from "../../../../mod.ts";
import { SqliteStore } from "../../../../stores/sqlite.ts";
import deno from "../../../../deno.json" with { type: "json" };
import { kinetikAdapter } from "../_kinetik_queue.ts";

export default async function create({ path }: { path: string }) {
  const queue = kinetik(new SqliteStore({ path }), { interval: "10s" });
  await queue.count(); // The file opened before the clock starts, as the peers' set-up.
  return kinetikAdapter(queue, { kinetik: deno.version });
}
