/**
 * The dashboard's one connection to `GET /api/events`, kept open for as long as the page is.
 *
 * A page left open for an hour meets every way a stream dies: the server restarts, a proxy
 * cuts an idle connection, the laptop sleeps, the network changes. So:
 * - the stream is read with `fetch()` (the token goes in a header; see sse.js);
 * - when it ends or fails, it is opened again after a delay that doubles from `minDelayMs` to
 *   `maxDelayMs`, with jitter so many open tabs do not reconnect in step; the delay starts
 *   over once a connection delivered its first bytes;
 * - a connection that stays silent for `silenceMs` (the server sends a heartbeat comment every
 *   15 s by default; the page is told the period) is taken for dead and replaced: a half-open
 *   TCP connection would otherwise look alive forever;
 * - after every (re)connection `onOpen` fires, so the page reloads what it shows: events
 *   sent while no stream was open are lost, and reading the state again is the only way to
 *   catch up.
 *
 * Runtime-neutral on purpose (fetch, streams, timers), so Deno tests drive it against a real
 * server. @module
 */

import { sseParser } from "./sse.js";

/**
 * @typedef {{ type?: string[], task?: string[], job?: string }} EventFilter
 * @typedef {"idle" | "connecting" | "live" | "waiting"} LiveState
 * @typedef {{
 *   open(query: string, signal: AbortSignal): Promise<Response>,
 *   onEvent(event: unknown): void,
 *   onOpen?(): void,
 *   onState?(state: LiveState, detail?: string): void,
 *   onError?(error: unknown): void,
 *   silenceMs?: number,
 *   minDelayMs?: number,
 *   maxDelayMs?: number,
 * }} LiveOptions
 */

/**
 * The query string of a filter: `?type=completed,failed&job=42`, or `""` for everything.
 * @param {EventFilter} filter
 */
export function eventQuery(filter) {
  const params = new URLSearchParams();
  if (filter.type?.length) params.set("type", filter.type.join(","));
  if (filter.task?.length) params.set("task", filter.task.join(","));
  if (filter.job !== undefined) params.set("job", filter.job);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** A live event stream that reconnects by itself. */
export class LiveEvents {
  /** @type {LiveOptions} */
  #options;
  /** @type {string | null} the query of the current filter; null: no stream wanted */
  #query = null;
  /** @type {AbortController | undefined} */
  #connection;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  #failures = 0;
  /** @type {LiveState} */
  #state = "idle";

  /** @param {LiveOptions} options */
  constructor(options) {
    this.#options = options;
  }

  /** @returns {LiveState} */
  get state() {
    return this.#state;
  }

  /**
   * Streams the events `filter` selects, reconnecting when it changed; `null` closes the
   * stream (a page that shows nothing live).
   * @param {EventFilter | null} filter
   */
  follow(filter) {
    const query = filter === null ? null : eventQuery(filter);
    if (query === this.#query && this.#state !== "idle") return;
    this.#query = query;
    this.#close();
    this.#failures = 0;
    if (query === null) this.#setState("idle");
    else void this.#connect(query);
  }

  /** Closes the stream for good (until the next `follow`). */
  stop() {
    this.#query = null;
    this.#close();
    this.#setState("idle");
  }

  #close() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#connection?.abort();
    this.#connection = undefined;
  }

  /**
   * @param {LiveState} state
   * @param {string} [detail]
   */
  #setState(state, detail) {
    this.#state = state;
    this.#options.onState?.(state, detail);
  }

  /** @param {string} query */
  async #connect(query) {
    const connection = new AbortController();
    this.#connection = connection;
    this.#setState("connecting");
    const silenceMs = this.#options.silenceMs ?? 50_000;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let watchdog;
    const feed = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => connection.abort(new Error("the stream went silent")), silenceMs);
    };
    let why = "the stream ended";
    try {
      // The watchdog starts with the answer: `open` may wait for the user to give a token.
      const response = await this.#options.open(query, connection.signal);
      feed();
      if (!response.ok || response.body === null) {
        why = `the server answered ${response.status}`;
        await response.body?.cancel();
      } else {
        await this.#read(response.body, connection, feed);
      }
    } catch (error) {
      why = connection.signal.reason instanceof Error
        ? connection.signal.reason.message
        : error instanceof Error
        ? error.message
        : String(error);
    } finally {
      clearTimeout(watchdog);
    }
    // Replaced by another connection (a new filter) or stopped: nothing to do.
    if (this.#connection !== connection || this.#query !== query) return;
    connection.abort();
    this.#retryLater(query, why);
  }

  /**
   * Reads one stream to its end, handing its events to `onEvent`.
   * @param {ReadableStream} body
   * @param {AbortController} connection
   * @param {() => void} feed resets the watchdog
   */
  async #read(body, connection, feed) {
    const parser = sseParser({
      onMessage: (message) => {
        if (connection.signal.aborted) return;
        try {
          this.#options.onEvent(JSON.parse(message.data));
        } catch (error) {
          (this.#options.onError ?? console.error)(error);
        }
      },
    });
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let isOpen = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done || connection.signal.aborted) break;
      feed();
      if (!isOpen) {
        // The first bytes (the server's ": connected" comment): subscribed from here on.
        isOpen = true;
        this.#failures = 0;
        this.#setState("live");
        this.#options.onOpen?.();
      }
      parser.push(value);
    }
  }

  /**
   * @param {string} query
   * @param {string} why
   */
  #retryLater(query, why) {
    const { minDelayMs = 1000, maxDelayMs = 30_000 } = this.#options;
    const base = Math.min(maxDelayMs, minDelayMs * 2 ** this.#failures);
    this.#failures++;
    // Between 50 % and 100 % of the delay: tabs opened together spread out.
    const delay = base / 2 + Math.random() * base / 2;
    this.#setState("waiting", `${why}; reconnecting in ${Math.ceil(delay / 1000)} s`);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#query === query) void this.#connect(query);
    }, delay);
  }
}

/**
 * A function that runs `fn` at most once per `ms`, and always once more after the last call:
 * a burst of events becomes one reload, and the last event is never left unshown.
 * @param {() => Promise<unknown> | unknown} fn
 * @param {number} ms
 * @param {(error: unknown) => void} onError what to do when `fn` fails (show it)
 * @returns {{ (): void, cancel(): void }}
 */
export function coalesce(fn, ms, onError) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let isRunning = false;
  let isWanted = false;
  let isCancelled = false;
  let last = -Infinity;
  const run = async () => {
    timer = undefined;
    isRunning = true;
    isWanted = false;
    last = Date.now();
    try {
      await fn();
    } catch (error) {
      if (!isCancelled) onError(error);
    } finally {
      isRunning = false;
      if (isWanted && !isCancelled) call();
    }
  };
  const call = () => {
    if (isCancelled || timer !== undefined) return;
    if (isRunning) return void (isWanted = true);
    timer = setTimeout(run, Math.max(0, last + ms - Date.now()));
  };
  call.cancel = () => {
    isCancelled = true;
    clearTimeout(timer);
    timer = undefined;
  };
  return call;
}
