/**
 * Argument parsing for the `kinetik` command: `node:util` `parseArgs` in strict mode, with
 * usage errors that name the offending token and suggest the closest valid one. @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { type Duration, parseDuration } from "../duration.ts";

/** A mistake in the command line: the command exits with code 2. */
export class UsageError extends Error {
  /** @param message one line, shown after `kinetik: ` */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** The options of one command, in `parseArgs` form. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionSpec = {
  store: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** Levenshtein distance between two short strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[b.length];
}

/** The candidate closest to `word`, when it is close enough to be a plausible typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor((best?.length ?? 0) / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)`, or nothing. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const near = closest(word, candidates);
  return near === undefined ? "" : ` (did you mean ${near}?)`;
}

/** What {@linkcode parseCommandArgs} found. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses one command's arguments strictly.
 *
 * @param command the subcommand, or `""` for the options before any (`kinetik --version`)
 * @throws {UsageError} for an unknown option (with the closest known one), a missing option
 * value, or more positionals than `maxPositionals`
 */
export function parseCommandArgs(
  command: string,
  args: readonly string[],
  options: OptionSpec,
  maxPositionals: number,
): ParsedArgs {
  const spec = { ...GLOBAL_OPTIONS, ...options };
  const at = command === "" ? "" : `${command}: `;
  const help = command === "" ? "kinetik --help" : `kinetik ${command} --help`;
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(args, spec),
      options: spec,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw toUsageError(at, help, error, spec);
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals[maxPositionals];
    throw new UsageError(`${at}unexpected argument ${JSON.stringify(extra)}; see ${help}`);
  }
  return parsed as ParsedArgs;
}

/**
 * `--priority -1` as `--priority=-1`. `parseArgs` takes a value that starts with `-` for an
 * option, so a negative number after an option that needs a value would be refused (the
 * help's own `add report --priority -1`).
 */
function joinNegativeValues(args: readonly string[], spec: OptionSpec): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      joined.push(...args.slice(i));
      break;
    }
    const takesValue = arg.startsWith("--") && spec[arg.slice(2)]?.type === "string";
    if (takesValue && /^-\d/.test(args[i + 1] ?? "")) joined.push(`${arg}=${args[++i]}`);
    else joined.push(arg);
  }
  return joined;
}

function toUsageError(at: string, help: string, error: unknown, spec: OptionSpec): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string })?.code;
  const flags = Object.entries(spec).flatMap(([name, option]) => [
    `--${name}`,
    ...(option.short ? [`-${option.short}`] : []),
  ]);
  const token = /'(-{1,2}[^' =]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" || /unknown option/i.test(message)) {
    const name = token ?? "option";
    return new UsageError(
      `${at}unknown option ${name}${suggestion(name, flags)}; see ${help}`,
      { cause: error },
    );
  }
  if (token && /argument missing|requires a value|expects a value/i.test(message)) {
    return new UsageError(`${at}option ${token} needs a value`, { cause: error });
  }
  if (token && /ambiguous/i.test(message)) {
    return new UsageError(
      `${at}option ${token} needs a value; write ${token}=VALUE for one starting with -`,
      { cause: error },
    );
  }
  if (token && /does not take an argument|does not expect a value/i.test(message)) {
    return new UsageError(`${at}option ${token} takes no value`, { cause: error });
  }
  return new UsageError(`${at}${message.split("\n")[0]}`, { cause: error });
}

/** A comma-separated list, trimmed, empties dropped; `undefined` when not given. */
export function listOption(value: unknown): string[] | undefined {
  if (typeof value !== "string") return undefined;
  const list = value.split(",").map((item) => item.trim()).filter((item) => item !== "");
  return list.length > 0 ? list : undefined;
}

/**
 * A list option whose items must come from `allowed`.
 * @throws {UsageError} naming the first unknown item and the closest allowed one
 */
export function choiceList<T extends string>(
  option: string,
  value: unknown,
  allowed: readonly T[],
): T[] | undefined {
  const list = listOption(value);
  for (const item of list ?? []) {
    if (!allowed.includes(item as T)) {
      throw new UsageError(
        `unknown ${option} ${JSON.stringify(item)}${suggestion(item, allowed)}; use one of ${
          allowed.join(", ")
        }`,
      );
    }
  }
  return list as T[] | undefined;
}

/**
 * An integer option.
 * @throws {UsageError} when the value is not an integer within `min`
 */
export function integerOption(option: string, value: unknown, min?: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (
    typeof value !== "string" || value.trim() === "" || !Number.isSafeInteger(n) ||
    (min !== undefined && n < min)
  ) {
    const bound = min === undefined ? "" : ` >= ${min}`;
    throw new UsageError(
      `--${option} must be an integer${bound}: current value is ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/**
 * A duration option (`10m`, `1500`), in ms.
 * @throws {UsageError} when the duration does not parse
 */
export function durationOption(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value as Duration, option);
  } catch {
    throw new UsageError(
      `--${option} must be a duration such as 500, 30s, 10m, 2h or 1d: current value is ${
        JSON.stringify(value)
      }`,
    );
  }
}
