/**
 * Medians, the printed table, `bench/results/latest.json` and the generated part of
 * `bench/RESULTS.md` for a peer benchmark run. @module
 */

import { readFileSync, writeFileSync } from "node:fs";

/** One measured case run, as `case.mjs` reports it plus the Redis-side counts. */
export interface Run {
  system: string;
  runtime: string;
  case: string;
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  p50?: number;
  p95?: number;
  p99?: number;
  rssMB: number;
  cpuPct: number;
  redisCpuPct: number;
  cmdsPerJob: number;
  clientUsPerJob: number;
  redisUsPerJob: number;
  versions: Record<string, string>;
}

/** A row of `latest.json`: the medians of one system, runtime and case. */
export interface Row {
  system: string;
  runtime: string;
  case: string;
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  rssMB: number;
  cpuPct: number;
  redisCpuPct: number;
  cmdsPerJob: number;
  clientUsPerJob: number;
  redisUsPerJob: number;
  sentPerJob: number | null;
  runs: number[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Medians per system, runtime and case, in the order first seen. */
export function medians(runs: Run[], sent: Map<string, number>): Row[] {
  const groups = new Map<string, Run[]>();
  for (const run of runs) {
    const key = `${run.system}\0${run.runtime}\0${run.case}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.entries()].map(([key, group]) => {
    const pick = (field: keyof Run) => {
      const values = group.map((run) => run[field]).filter((v): v is number => v !== undefined);
      return values.length ? median(values) : null;
    };
    return {
      system: group[0].system,
      runtime: group[0].runtime,
      case: group[0].case,
      jobs: group[0].jobs,
      seconds: round(pick("seconds")!, 3),
      jobsPerSec: round(pick("jobsPerSec")!),
      p50: group[0].p50 === undefined ? null : round(pick("p50")!, 2),
      p95: group[0].p95 === undefined ? null : round(pick("p95")!, 2),
      p99: group[0].p99 === undefined ? null : round(pick("p99")!, 2),
      rssMB: round(pick("rssMB")!, 1),
      cpuPct: round(pick("cpuPct")!),
      redisCpuPct: round(pick("redisCpuPct")!),
      cmdsPerJob: round(pick("cmdsPerJob")!, 1),
      clientUsPerJob: round(pick("clientUsPerJob")!),
      redisUsPerJob: round(pick("redisUsPerJob")!),
      sentPerJob: sent.has(key) ? round(sent.get(key)!, 2) : null,
      runs: group.map((run) => run.case === "latency" ? round(run.p99!, 2) : round(run.jobsPerSec)),
    };
  });
}

/** The rows as a Markdown table, Kinetik first within each case and runtime. */
export function table(rows: Row[]): string {
  const order = [
    "kinetik",
    "kinetik-no-metrics",
    "kinetik-node-redis",
    "bullmq",
    "bee-queue",
  ];
  const sorted = [...rows].sort((a, b) =>
    a.case.localeCompare(b.case) || a.runtime.localeCompare(b.runtime) ||
    order.indexOf(a.system) - order.indexOf(b.system)
  );
  const cell = (value: number | null) => value === null ? "" : value.toLocaleString("en");
  const lines = [
    "| case | runtime | system | jobs/s | p50 ms | p95 ms | p99 ms | peak RSS MB | client CPU % | Redis CPU % | client µs/job | Redis µs/job | Redis cmds/job | sent/job | runs (jobs/s or p99) |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of sorted) {
    lines.push(
      `| ${r.case} | ${r.runtime} | ${r.system} | ${cell(r.jobsPerSec)} | ${cell(r.p50)} | ${
        cell(r.p95)
      } | ${cell(r.p99)} | ${cell(r.rssMB)} | ${cell(r.cpuPct)} | ${cell(r.redisCpuPct)} | ${
        cell(r.clientUsPerJob)
      } | ${cell(r.redisUsPerJob)} | ${cell(r.cmdsPerJob)} | ${cell(r.sentPerJob)} | ${
        r.runs.join(", ")
      } |`,
    );
  }
  return lines.join("\n");
}

/** Kinetik's ratio to each peer, per case and runtime ("× faster"; latency and RSS: lower wins). */
export function ratios(rows: Row[]): string {
  const lines = [
    "| case | runtime | vs BullMQ | vs bee-queue |",
    "|---|---|---:|---:|",
  ];
  const find = (system: string, runtime: string, name: string) =>
    rows.find((r) =>
      r.system === system && r.runtime.split(" ")[0] === runtime &&
      r.case === name
    );
  const kinetiks = rows.filter((r) => r.system === "kinetik");
  for (const k of kinetiks) {
    const runtime = k.runtime.split(" ")[0];
    const ratio = (peer: string) => {
      const p = find(peer, runtime, k.case);
      if (!p) return "";
      if (k.case === "latency") {
        return `p99 ${k.p99} vs ${p.p99} ms; RSS ${k.rssMB} vs ${p.rssMB} MB`;
      }
      return `${(k.jobsPerSec / p.jobsPerSec).toFixed(2)}×; RSS ${k.rssMB} vs ${p.rssMB} MB`;
    };
    lines.push(
      `| ${k.case} | ${runtime} | ${ratio("bullmq")} | ${ratio("bee-queue")} |`,
    );
  }
  return lines.join("\n");
}

/**
 * Replaces the generated part of RESULTS.md (between its markers) with `text`; `section` names
 * the markers (`<!-- bench:peers:start -->` for the Redis run, `bench:peers-sqlite` for SQLite,
 * `bench:peers:postgres` for PostgreSQL).
 */
export function updateResults(
  path: string,
  text: string,
  section = "peers",
): void {
  const START = `<!-- bench:${section}:start -->`;
  const END = `<!-- bench:${section}:end -->`;
  let doc: string;
  try {
    doc = readFileSync(path, "utf8");
  } catch {
    doc = `# Benchmarks\n\n${START}\n${END}\n`;
  }
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) doc += `\n${START}\n${END}\n`;
  const a = doc.indexOf(START) + START.length;
  const b = doc.indexOf(END);
  writeFileSync(path, `${doc.slice(0, a)}\n${text}\n${doc.slice(b)}`);
}
