import { SqliteStore } from "../stores/sqlite.ts";
import { DatabaseSync } from "node:sqlite";
const path = "/tmp/sq/x.db";
const now = Date.now();
const N = 30000;
async function fresh() {
  for (const f of [path, path + "-wal", path + "-shm"]) { try { Deno.removeSync(f); } catch {} }
  const store = new SqliteStore({ path });
  await store.add(Array.from({ length: N }, (_, i) => ({ task: "t", data: i, created: now + i, priority: 0, log: { time: now, message: "c" } })) as any);
  await store.close();
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
  return db;
}
const inner = (take: string) => `SELECT * FROM (SELECT id, 0 AS g, priority, ready_at FROM jobs INDEXED BY jobs_ready WHERE task = ?6 AND status IN ('queued','delayed') AND (status = 'queued' OR ready_at <= ?1) AND NOT EXISTS (SELECT 1 FROM paused WHERE kind='task' AND name = ?6) ORDER BY priority, ready_at, id LIMIT ${take})`;
const set = `status = 'processing', attempts = attempts + 1, started = ?1, worker = ?3, lease_until = ?4, token = lower(hex(randomblob(12)))`;
const claim = (take: string, limit: string) => `UPDATE jobs SET ${set}, max_attempts = coalesce(own_max_attempts, (SELECT value FROM json_each(?5) WHERE key = jobs.task), 0) WHERE id IN (SELECT id FROM (${inner(take)}) ORDER BY g, priority, ready_at, id LIMIT ${limit}) RETURNING *`;
const V: Record<string, [string, unknown[]]> = {
  bound: [claim("?7", "?2"), [now, 1, "w", now + 1000, "{}", "t", 1]],
  literal: [claim("1", "1").replace("?4", "?2").replace("?5", "?4").replaceAll("?6", "?5"), [now, "w", now + 1000, "{}", "t"]],
};
const db = await fresh();
for (let round = 0; round < 3; round++) {
  for (const [name, [sql, args]] of Object.entries(V)) {
    const st = db.prepare(sql);
    let t = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < 3000; i++) { db.exec("BEGIN IMMEDIATE"); const r = st.all(...(args as any)); if (r.length !== 1) throw new Error("none"); db.exec("COMMIT"); }
    const c = process.cpuUsage(c0);
    console.log(name.padEnd(8), ((performance.now() - t) * 1000 / 3000).toFixed(1), "µs wall", ((c.user + c.system) / 3000).toFixed(1), "µs cpu");
  }
}
import process from "node:process";
