/**
 * A/B of the Redis store's scripts against another checkout of Kinetik, on one Redis, with
 * the two stores' calls interleaved one by one, so both see the same load on a shared
 * machine (runs taken one after the other differ by ±25% here). Each store gets its own
 * prefix and `--jobs` jobs; per phase the two alternate: adds one job per call, then drain
 * by settle-and-claim calls of `--concurrency` jobs. Every script call's own duration comes
 * from SLOWLOG (threshold 0), matched to its store by the script's SHA (EVALSHA) or its
 * function's name (FCALL, whose library holds a content hash); the table gives per store the
 * mean and median script µs per job, the script calls per job, and this process's CPU per
 * job while the store's calls were out (each call's `process.cpuUsage()` delta: the calls
 * run one at a time, so it is that store's client cost).
 *
 * `deno run -A bench/redis_ab.ts --base /path/to/other/checkout [--jobs 20000]
 * [--concurrency 50] [--url redis://…]` (or `bun bench/…`). Without `--url` it starts a
 * private redis-server.
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import type { NewJob, Settlement, Store } from "../mod.ts";
import { RedisStore } from "../stores/redis.ts";
import { LIBRARY, SCRIPTS } from "../stores/redis/_scripts.ts";
import { redisFunctions } from "../stores/redis/_calls.ts";
import { redisServer } from "../tests/_redis_server.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    base: { type: "string" },
    jobs: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "50" },
    url: { type: "string" },
  },
});
if (!values.base) {
  throw new TypeError("Cannot compare as --base names no checkout: current value is undefined");
}
const JOBS = Number(values.jobs);
const CONCURRENCY = Number(values.concurrency);
const baseUrl = pathToFileURL(`${values.base}/`).href;
const baseStore = await import(new URL("stores/redis.ts", baseUrl).href);
const baseScripts = await import(new URL("stores/redis/_scripts.ts", baseUrl).href);

const server = values.url ? values.url : await redisServer();
if (typeof server === "string" && !server.startsWith("redis")) throw new Error(server);
const url = typeof server === "string" ? server : server.url;
const admin = new Redis(url);
await admin.config("SET", "slowlog-log-slower-than", "0");
await admin.config("SET", "slowlog-max-len", "1000000");

/** Which store a call belongs to, by `evalsha:<SHA>` or `fcall:<function name>`. */
const owner = new Map<string, string>();
const own = (key: string, who: string) => owner.set(key, owner.has(key) ? "same" : who);
for (const script of Object.values(baseScripts.SCRIPTS) as { sha: string }[]) {
  own(`evalsha:${script.sha}`, "base");
}
// A checkout from before Redis Functions has no LIBRARY.
const baseFunctions = (baseScripts.LIBRARY?.functions ?? new Map()) as Map<unknown, string>;
for (const name of baseFunctions.values()) own(`fcall:${name}`, "base");
// This checkout calls its scripts as functions: an EVALSHA of a script both checkouts share
// is the base's.
if (!redisFunctions.enabled) {
  for (const script of Object.values(SCRIPTS)) own(`evalsha:${script.sha}`, "this");
}
for (const name of LIBRARY.functions.values()) own(`fcall:${name}`, "this");
/** The commands that run a script, by SHA or by function name. */
const SCRIPT_CALLS = new Set(["evalsha", "fcall", "fcall_ro"]);

const stamp = Date.now().toString(36);
const stores: Record<string, Store> = {
  base: new baseStore.RedisStore({ url, prefix: `ab-base-${stamp}` }) as Store,
  this: new RedisStore({ url, prefix: `ab-this-${stamp}` }),
};
const job = (i: number): NewJob => ({
  task: "bench",
  data: { i, payload: "x".repeat(40) },
  created: Date.now(),
  priority: 0,
  log: { time: Date.now(), message: "Created" },
});
const request = () => ({
  groups: [["bench"]],
  limit: CONCURRENCY,
  worker: "bench",
  leaseMs: 30_000,
  now: Date.now(),
});

interface Calls {
  calls: number;
  durations: number[];
}

/** Script durations per store, from the SLOWLOG since the last call. */
async function scriptCalls(): Promise<Record<string, Calls>> {
  const log = await admin.call("SLOWLOG", "GET", "-1") as [number, number, number, string[]][];
  await admin.call("SLOWLOG", "RESET");
  const by: Record<string, Calls> = {};
  for (const [, , micros, args] of log) {
    const command = String(args[0]).toLowerCase();
    if (!SCRIPT_CALLS.has(command)) continue;
    const who = owner.get(`${command.replace("fcall_ro", "fcall")}:${args[1]}`) ?? "unknown";
    (by[who] ??= { calls: 0, durations: [] }).calls++;
    by[who].durations.push(micros);
  }
  return by;
}

const rows: string[] = [];
async function phase(name: string, run: (who: string) => Promise<boolean>): Promise<void> {
  await admin.call("SLOWLOG", "RESET");
  const live = new Set(Object.keys(stores));
  // This process's CPU per store: the calls run one at a time, so each call's CPU (user +
  // system, encoding the call, parsing and decoding its reply) is its own store's.
  const cpu: Record<string, number> = { base: 0, this: 0 };
  // Who goes first swaps every round, so neither store always pays for the other's garbage.
  for (let round = 0; live.size > 0; round++) {
    const order = round % 2 === 0 ? [...live] : [...live].reverse();
    for (const who of order) {
      const before = process.cpuUsage();
      const more = await run(who);
      const used = process.cpuUsage(before);
      cpu[who] += used.user + used.system;
      if (!more) live.delete(who);
    }
  }
  const by = await scriptCalls();
  const perJob = (n: number) => (n / JOBS).toFixed(2);
  for (const who of ["base", "this", "same"]) {
    const calls = by[who];
    // Scripts both checkouts share are "same": their rows then give only each one's CPU.
    const client = who in cpu ? perJob(cpu[who]) : "";
    if (!calls) {
      if (client) rows.push(`| ${name} | ${who} | | | | ${client} |`);
      continue;
    }
    const sorted = calls.durations.toSorted((a, b) => a - b);
    const total = sorted.reduce((sum, us) => sum + us, 0);
    const median = sorted[Math.floor(sorted.length / 2)];
    rows.push(
      `| ${name} | ${who} | ${perJob(calls.calls)} | ${perJob(total)} | ${
        perJob(median * calls.calls)
      } | ${client} |`,
    );
  }
}

const added: Record<string, number> = { base: 0, this: 0 };
await phase("add-single", async (who) => {
  await stores[who].add([job(added[who])]);
  return ++added[who] < JOBS;
});

const inHand: Record<string, Settlement[] | undefined> = {};
const drained: Record<string, Set<string>> = { base: new Set(), this: new Set() };
await phase(`drain-c${CONCURRENCY}`, async (who) => {
  const store = stores[who];
  const held = inHand[who];
  const { jobs } = held === undefined
    ? await store.claim(request())
    : (await store.settle(held, request())).claimed;
  for (const leased of jobs) drained[who].add(leased.id);
  inHand[who] = jobs.map((leased) => ({
    id: leased.id,
    token: leased.token,
    outcome: "completed",
    now: Date.now(),
    // The lines a processor's settle carries.
    logs: [
      { time: Date.now(), message: `Started (attempt ${leased.attempts})` },
      { time: Date.now(), message: "Completed in 0.0s" },
    ],
  }));
  if (jobs.length > 0) return true;
  return false;
});
for (const who of Object.keys(drained)) {
  // Distinct ids, so a claim that leased one job twice cannot pass for a full drain.
  const count = drained[who].size;
  if (count !== JOBS) throw new Error(`${who} drained ${count} distinct jobs of ${JOBS}`);
}

const runtime = "Bun" in globalThis
  ? `bun ${process.versions.bun}`
  : `deno ${process.versions.deno}`;
console.log(`\nRedis scripts A/B, ${JOBS} jobs each, ${runtime}; base = ${values.base}\n`);
console.log(
  "| phase | store | script calls/job | script µs/job | median call × calls, µs/job | client CPU µs/job |",
);
console.log("|---|---|---:|---:|---:|---:|");
for (const row of rows) console.log(row);
for (const store of Object.values(stores)) await store.close();
await admin.flushall();
await admin.quit();
if (typeof server !== "string") await server.dispose();
