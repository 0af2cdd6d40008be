/**
 * Medians and the printed tables of the SQLite comparison (`deno task bench:peers --store
 * sqlite`). @module
 */

import type { IoCounts } from "./_strace.ts";

export type { IoCounts };

/** One measured case run, as `case.mjs` reports it plus the CPU per job. */
export interface SqliteRun {
  /** The queue library. */
  system: string;
  /** The runtime it ran on. */
  runtime: string;
  /** The case, as `--cases` names it. */
  case: string;
  /** Jobs in the case. */
  jobs: number;
  /** Wall seconds of the timed window. */
  seconds: number;
  /** `jobs / seconds`. */
  jobsPerSec: number;
  /** Latency percentiles (ms), for `latency` only. */
  p50?: number;
  /** 95th percentile (ms). */
  p95?: number;
  /** 99th percentile (ms). */
  p99?: number;
  /** Peak resident set (VmHWM) of the measured process, MB. */
  rssMB: number;
  /** Its CPU over the timed window, 100 = one core. */
  cpuPct: number;
  /** Its CPU µs per job. */
  clientUsPerJob: number;
  /** Package versions the adapter reports. */
  versions: Record<string, string>;
}

/** A SQLite row of `latest.json`: the medians of one system, runtime and case. */
export interface SqliteRow {
  /** The queue library. */
  system: string;
  /** The runtime it ran on. */
  runtime: string;
  /** The case. */
  case: string;
  /** Jobs in the case. */
  jobs: number;
  /** Median wall seconds. */
  seconds: number;
  /** Median jobs/s. */
  jobsPerSec: number;
  /** Median latency percentiles (ms), `null` outside `latency`. */
  p50: number | null;
  /** Median 95th percentile (ms). */
  p95: number | null;
  /** Median 99th percentile (ms). */
  p99: number | null;
  /** Median peak RSS, MB. */
  rssMB: number;
  /** Median CPU %, 100 = one core. */
  cpuPct: number;
  /** Median CPU µs per job. */
  clientUsPerJob: number;
  /** Write transactions per job, from the counting pass (`null` without it). */
  txPerJob: number | null;
  /** WAL pages written per job. */
  walPagesPerJob: number | null;
  /** fsync/fdatasync calls per 1,000 jobs. */
  syncsPer1k: number | null;
  /** Each run's jobs/s (p99 ms for `latency`), in run order. */
  runs: number[];
}

const key = (r: { system: string; runtime: string; case: string }) =>
  `${r.system}\0${r.runtime}\0${r.case}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Medians per system, runtime and case, in the order first seen, with the I/O counts. */
export function sqliteMedians(
  runs: readonly SqliteRun[],
  io: ReadonlyMap<string, IoCounts & { jobs: number }>,
): SqliteRow[] {
  const groups = new Map<string, SqliteRun[]>();
  for (const run of runs) {
    groups.set(key(run), [...(groups.get(key(run)) ?? []), run]);
  }
  return [...groups.entries()].map(([id, group]) => {
    const pick = (field: keyof SqliteRun, digits = 0) => {
      const values = group.map((run) => run[field]).filter((v): v is number => v !== undefined);
      return values.length ? round(median(values), digits) : null;
    };
    const counted = io.get(id);
    const per = (value: number | undefined, scale = 1) =>
      counted && value !== undefined ? round((value * scale) / counted.jobs, 3) : null;
    const [first] = group;
    return {
      system: first.system,
      runtime: first.runtime,
      case: first.case,
      jobs: first.jobs,
      seconds: pick("seconds", 3)!,
      jobsPerSec: pick("jobsPerSec")!,
      p50: pick("p50", 2),
      p95: pick("p95", 2),
      p99: pick("p99", 2),
      rssMB: pick("rssMB", 1)!,
      cpuPct: pick("cpuPct")!,
      clientUsPerJob: pick("clientUsPerJob")!,
      txPerJob: per(counted?.commits),
      walPagesPerJob: per(counted?.walPages),
      syncsPer1k: per(counted?.syncs, 1000),
      runs: group.map((run) => round(run.case === "latency" ? run.p99! : run.jobsPerSec, 2)),
    };
  });
}

/** The order of systems within a case and runtime. */
export const SQLITE_SYSTEMS = ["kinetik", "plainjob", "liteque", "bunqueue"];

/** The rows as a Markdown table, Kinetik first within each case and runtime. */
export function sqliteTable(rows: readonly SqliteRow[]): string {
  const sorted = [...rows].sort((a, b) =>
    a.case.localeCompare(b.case) || a.runtime.localeCompare(b.runtime) ||
    SQLITE_SYSTEMS.indexOf(a.system) - SQLITE_SYSTEMS.indexOf(b.system)
  );
  const cell = (value: number | null) => value === null ? "" : value.toLocaleString("en");
  const lines = [
    "| case | runtime | system | jobs/s | p50 ms | p95 ms | p99 ms | peak RSS MB | CPU % | CPU µs/job | write tx/job | WAL pages/job | syncs/1k jobs | runs (jobs/s or p99) |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of sorted) {
    const cells = [
      r.case,
      r.runtime,
      r.system,
      cell(r.jobsPerSec),
      cell(r.p50),
      cell(r.p95),
      cell(r.p99),
      cell(r.rssMB),
      cell(r.cpuPct),
      cell(r.clientUsPerJob),
      cell(r.txPerJob),
      cell(r.walPagesPerJob),
      cell(r.syncsPer1k),
      r.runs.join(", "),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/**
 * Kinetik on each runtime against each peer on the peer's runtime (throughput ratio, or p99
 * latency; RSS).
 */
export function sqliteRatios(
  rows: readonly SqliteRow[],
  peers: readonly string[],
): string {
  const peerRows = (system: string, name: string) =>
    rows.filter((r) => r.system === system && r.case === name);
  const lines = [
    `| case | Kinetik on | ${peers.map((p) => `vs ${p}`).join(" | ")} |`,
    `|---|---|${peers.map(() => "---:").join("|")}|`,
  ];
  for (const k of rows.filter((r) => r.system === "kinetik")) {
    const cells = peers.map((peer) =>
      peerRows(peer, k.case).map((p) => {
        const on = p.runtime === k.runtime ? "" : ` (${p.runtime})`;
        return k.case === "latency"
          ? `p99 ${k.p99} vs ${p.p99} ms${on}`
          : `${(k.jobsPerSec / p.jobsPerSec).toFixed(2)}×${on}; RSS ${k.rssMB} vs ${p.rssMB} MB`;
      }).join("; ")
    );
    lines.push(`| ${k.case} | ${k.runtime} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}
