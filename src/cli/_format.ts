/**
 * Human output of the `kinetik` command: aligned tables, relative times ("3s ago"), progress
 * bars and colour. Colour is decided once per run by the caller (a TTY with `NO_COLOR` unset)
 * and passed in, so output to pipes and tests is plain text. @module
 */

import { styleText } from "node:util";
import type { JobStatus, LogLine } from "../job.ts";

/** A style `node:util` `styleText` knows. */
export type Style = Parameters<typeof styleText>[0];

/** Paints text when colour is on. */
export type Paint = (style: Style, text: string) => string;

/** A painter: styles text when `isColor`, else returns it as it is. */
export function painter(isColor: boolean): Paint {
  return isColor
    ? (style, text) => styleText(style, text, { validateStream: false })
    : (_style, text) => text;
}

/** The colour of each status. */
export const STATUS_STYLES: Record<JobStatus, Style> = {
  queued: "white",
  delayed: "yellow",
  processing: "cyan",
  completed: "green",
  failed: "red",
  cancelled: "gray",
  timeout: "magenta",
};

// Matches the escape sequences styleText writes, so widths count visible characters only.
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

function width(text: string): number {
  return text.replace(ANSI, "").length;
}

/**
 * Rows as an aligned table under a header; numeric-looking cells are right-aligned.
 *
 * @param header column titles
 * @param rows cells (may carry colour)
 * @param paint used to dim the header
 */
export function table(header: readonly string[], rows: readonly string[][], paint: Paint): string {
  const widths = header.map((title, i) =>
    Math.max(width(title), ...rows.map((row) => width(row[i] ?? "")))
  );
  const isNumeric = header.map((_, i) =>
    rows.length > 0 && rows.every((row) => /^-?[\d.]+$|^$/.test((row[i] ?? "").replace(ANSI, "")))
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => {
      const pad = " ".repeat(widths[i] - width(cell));
      return isNumeric[i] ? pad + cell : i === cells.length - 1 ? cell : cell + pad;
    }).join("  ").trimEnd();
  return [paint("bold", line(header)), ...rows.map(line)].join("\n") + "\n";
}

/** `"3s"`, `"4m"`, `"2h"`, `"5d"`: a short length of time, in its largest whole unit. */
export function shortDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** `"just now"`, `"3s ago"`, `"in 10m"`: `time` relative to `now` (both epoch ms). */
export function relativeTime(time: number | undefined, now: number): string {
  if (time === undefined) return "-";
  const delta = time - now;
  if (Math.abs(delta) < 1000) return "just now";
  return delta < 0 ? `${shortDuration(delta)} ago` : `in ${shortDuration(delta)}`;
}

/** `"1.2s"`, `"350ms"`: an elapsed time with a precision that suits it. */
export function elapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, "")}s`;
  return shortDuration(ms);
}

/** `"12:03:04"`: the local wall-clock time of an epoch ms. */
export function clockTime(time: number): string {
  const date = new Date(time);
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((n) => String(n).padStart(2, "0")).join(":");
}

/** `"[######----]  3/10"`. */
export function progressBar(current: number, total: number, size = 20): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, current / total)) : 0;
  const filled = Math.round(ratio * size);
  return `[${"#".repeat(filled)}${"-".repeat(size - filled)}] ${current}/${total}`;
}

/** `"12:03:04  Sent {"to":"ford"}"`: one log line, its data dimmed. */
export function logLine(line: LogLine, paint: Paint): string {
  const data = line.data === undefined ? "" : ` ${paint("gray", inlineJson(line.data))}`;
  return `${paint("gray", clockTime(line.time))}  ${line.message}${data}`;
}

/** A JSON value on one line, or nothing for `undefined`. */
export function inlineJson(value: unknown): string {
  return value === undefined ? "" : JSON.stringify(value);
}
