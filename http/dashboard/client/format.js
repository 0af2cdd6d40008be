/**
 * How values read on the dashboard: times, ages, durations, counts and JSON. Each returns a
 * string, which `h()` turns into a Text node. @module
 */

/** @param {number} n */
function pad(n) {
  return String(n).padStart(2, "0");
}

/**
 * A time in the browser's zone, `2025-03-04 13:05:09`; `—` for none.
 * @param {number | undefined | null} ms epoch ms
 */
export function formatTime(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return "—";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * A length of time, short: `850 ms`, `12.3 s`, `4 min 2 s`, `3 h 5 min`, `2 d 4 h`.
 * @param {number | undefined | null} ms
 */
export function formatDuration(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return "—";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(abs < 10_000 ? 1 : 0)} s`;
  const units = /** @type {const} */ ([["d", 86_400_000], ["h", 3_600_000], ["min", 60_000], [
    "s",
    1000,
  ]]);
  const parts = [];
  let rest = Math.round(abs / 1000) * 1000;
  for (const [unit, size] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return (ms < 0 ? "-" : "") + parts.join(" ");
}

/**
 * How long ago (or how far ahead) `ms` is from `now`: `5 s ago`, `in 2 min`.
 * @param {number | undefined | null} ms
 * @param {number} [now]
 */
export function formatAge(ms, now = Date.now()) {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return "—";
  const delta = now - ms;
  if (Math.abs(delta) < 1000) return "now";
  return delta > 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(-delta)}`;
}

/** @param {number} n a count, grouped: `100 000` reads at a glance */
export function formatCount(n) {
  return new Intl.NumberFormat(undefined).format(n);
}

/**
 * A JSON value, indented, for a `<pre>`: `—` when there is none.
 * @param {unknown} value
 */
export function formatJson(value) {
  if (value === undefined) return "—";
  return JSON.stringify(value, null, 2) ?? String(value);
}

/**
 * A JSON value on one line, cut to `max` characters, for a table cell.
 * @param {unknown} value
 * @param {number} [max]
 */
export function formatJsonShort(value, max = 80) {
  if (value === undefined) return "";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
