/**
 * SQLite's writes counted from outside, the same way for every library and runtime: the case
 * process runs under `strace`, and its `pwrite64` calls to the run's database files tell the
 * write transactions, pages and syncs. @module
 */

/** What a case wrote to the SQLite files of its run. */
export interface IoCounts {
  /** Write transactions committed: WAL frames that carry a commit mark. */
  commits: number;
  /** Pages appended to the WAL (every frame, commit or not). */
  walPages: number;
  /** Pages written to the database file itself (checkpoints). */
  dbPages: number;
  /** `fsync` and `fdatasync` calls on the run's files (and its directory). */
  syncs: number;
}

/** The `strace` command line that records what {@linkcode countIo} reads into `output`. */
export function straceWrapper(output: string): string[] {
  // -y names each descriptor's file, -xx prints buffers (and those names) as hex, -s 24 keeps
  // the first 24 bytes of a buffer: a WAL frame header is exactly that long.
  return [
    "strace",
    "-f",
    "-qq",
    "-y",
    "-xx",
    "-s",
    "24",
    "-e",
    "trace=pwrite64,fsync,fdatasync",
    "-o",
    output,
  ];
}

const CALL =
  /(pwrite64|fsync|fdatasync)\(\d+<((?:\\x[0-9a-f]{2})*)>(?:, "((?:\\x[0-9a-f]{2})*)"(?:\.\.\.)?, (\d+))?/;

function hexBytes(text: string): number[] {
  return text.split("\\x").slice(1).map((hex) => parseInt(hex, 16));
}

/*
 * SQLite writes each WAL frame as two `pwrite64` calls: its 24-byte header, then the page. The
 * header's second big-endian word is the database size after the commit for the last frame of a
 * transaction, and 0 for every other frame, so counting headers with a nonzero second word
 * counts commits (https://www.sqlite.org/fileformat2.html#walformat). With
 * `synchronous=NORMAL` a commit writes no sync; syncs come from checkpoints.
 */

/** Counts the commits, pages and syncs an `strace` log shows on files under `dir`. */
export function countIo(trace: string, dir: string): IoCounts {
  const counts: IoCounts = { commits: 0, walPages: 0, dbPages: 0, syncs: 0 };
  for (const line of trace.split("\n")) {
    const match = CALL.exec(line);
    if (!match) continue;
    const file = String.fromCharCode(...hexBytes(match[2]));
    if (!file.startsWith(dir)) continue;
    if (match[1] !== "pwrite64") {
      counts.syncs++;
      continue;
    }
    const size = Number(match[4]);
    if (file.endsWith("-wal")) {
      if (size === 24) {
        const header = hexBytes(match[3]);
        if (header.slice(4, 8).some((byte) => byte !== 0)) counts.commits++;
      } else if (size >= 512) counts.walPages++;
    } else if (
      !file.endsWith("-shm") && !file.endsWith("-journal") && size >= 512
    ) {
      counts.dbPages++;
    }
  }
  return counts;
}
