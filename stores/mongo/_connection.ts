/**
 * Checking a MongoDB store's options, and what the URL says about the database. @module
 */

/** Server selection gives up after this long (ms) unless the URL or the options say otherwise. */
export const DEFAULT_SERVER_SELECTION_TIMEOUT = 5_000;

/** The database used when neither the options nor the URL name one. */
export const DEFAULT_DATABASE = "kinetik";

/** The collection name prefix used when none is given. */
export const DEFAULT_PREFIX = "kinetik_";

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** The URL with its password replaced by `****`, for error messages. */
export function redact(url: string): string {
  return url.replace(/^(mongodb(?:\+srv)?:\/\/[^:@/]*:)[^@/]*@/i, "$1****@");
}

/**
 * Checks the scheme of a MongoDB URL (the driver checks the rest).
 *
 * @throws {TypeError} when the URL is not a string starting with `mongodb://` or
 * `mongodb+srv://` and naming a host
 */
export function checkUrl(url: unknown): string {
  if (typeof url !== "string" || !/^mongodb(\+srv)?:\/\/[^/?\s]/i.test(url)) {
    throw new TypeError(
      `Cannot open the MongoDB store as the URL must start with mongodb:// or mongodb+srv:// and name a host: current value is ${
        typeof url === "string" ? redact(url) : shown(url)
      }`,
    );
  }
  return url;
}

/**
 * The database a MongoDB URL names in its path (`mongodb://host/db?…`), if any. Seed lists
 * (`host1,host2:27018`) hold no `/`, so the path starts at the first `/` after the scheme.
 */
export function databaseFromUrl(url: string): string | undefined {
  const rest = url.replace(/^mongodb(\+srv)?:\/\//i, "");
  const slash = rest.indexOf("/");
  if (slash === -1) return undefined;
  const path = rest.slice(slash + 1).split("?")[0];
  return path === "" ? undefined : decodeURIComponent(path);
}

/** Whether the URL sets `serverSelectionTimeoutMS` itself. */
export function hasServerSelectionTimeout(url: string): boolean {
  return /[?&]serverSelectionTimeoutMS=/i.test(url);
}

/**
 * Checks a database name: MongoDB refuses empty names, names over 63 bytes and the
 * characters `/\. "$*<>:|?`.
 *
 * @throws {TypeError} when the name is not usable
 */
export function checkDatabase(name: unknown): string {
  if (
    typeof name !== "string" || name === "" || /[/\\. "$*<>:|?\0]/.test(name) ||
    new TextEncoder().encode(name).length > 63
  ) {
    throw new TypeError(
      `Cannot open the MongoDB store as the database name must be 1 to 63 bytes without /\\. "$*<>:|?: current value is ${
        shown(name)
      }`,
    );
  }
  return name;
}

/**
 * Checks a collection name prefix: letters, digits, `_`, `-` and `.`, not starting with
 * `system.`, at most 100 characters (the collections are `<prefix>jobs` and the like).
 *
 * @throws {TypeError} when the prefix is not usable
 */
export function checkPrefix(prefix: unknown): string {
  if (
    typeof prefix !== "string" || !/^[A-Za-z0-9_.-]{0,100}$/.test(prefix) ||
    prefix.startsWith("system.")
  ) {
    throw new TypeError(
      `Cannot open the MongoDB store as the prefix must be letters, digits, _, - or . (not system.): current value is ${
        shown(prefix)
      }`,
    );
  }
  return prefix;
}

/**
 * Checks a positive whole number option.
 *
 * @throws {RangeError} when it is not one
 */
export function checkPositive(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot open the MongoDB store as ${name} must be a positive integer: current value is ${
        shown(value)
      }`,
    );
  }
  return value;
}
