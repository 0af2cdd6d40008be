/**
 * The Redis client's watchdog: tells a connection that stopped answering without closing (a
 * frozen server, a route or firewall that drops packets) from a slow one, so that no call
 * waits forever. Private to the Redis store.
 *
 * - **In flight.** While commands wait for replies, a connection from which not one byte came
 *   for `timeout` ms is dead: it is dropped (its commands reject, the client reconnects).
 *   Progress of any reply counts, so a large reply arriving slowly is not cut off.
 * - **Idle.** A ready connection silent for half of `timeout` is sent a PING, which then waits
 *   like any command: a dead idle connection, a subscriber's say, is found within one and a
 *   half `timeout`, before a command or a message is lost on it.
 * - **Waiting.** A command issued while no connection is ready rejects `timeout` ms after it
 *   was issued at the latest, however long the reconnect attempts take.
 *
 * It is one timer that re-arms itself for the earliest deadline; the client's hot path only
 * notes the time of each read and of each send that starts a wait (`Date.now()`, some tens of
 * nanoseconds against a round trip of tens of microseconds). @module
 */

/** What the watchdog asks of the connection it watches. */
export interface Watched {
  /** Whether commands wait for replies on the current socket. */
  hasInFlight(): boolean;
  /** Whether an idle connection may be probed now (ready, not closing). */
  canProbe(): boolean;
  /** Sends a PING (whose send calls `Watchdog.noteSend`). */
  probe(): void;
  /** Drops the current socket as lost, with `reason`. */
  drop(reason: Error): void;
  /**
   * Rejects the waiting commands issued at or before `before` (epoch ms); returns when the
   * oldest of those left was issued, or `undefined` when none is left.
   */
  expireWaiting(before: number): number | undefined;
}

/** Watches one client's connections; see the module doc. */
export class Watchdog {
  #timeout: number;
  #watched: Watched;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the current socket last received bytes (epoch ms). */
  #lastRead = 0;
  /** When the latest send that found nothing in flight went out (epoch ms). */
  #sentAt = 0;
  #isStopped = false;

  /** @param timeout milliseconds; @param watched the client's side */
  constructor(timeout: number, watched: Watched) {
    this.#timeout = timeout;
    this.#watched = watched;
  }

  /** Bytes arrived (or a new socket opened). */
  noteRead(): void {
    this.#lastRead = Date.now();
  }

  /** A command was sent while nothing was in flight: its wait starts now. */
  noteSend(): void {
    this.#sentAt = Date.now();
    this.arm();
  }

  /** Makes sure a check is due within `timeout` ms (something new to watch). */
  arm(): void {
    if (this.#timer === undefined && !this.#isStopped) {
      this.#timer = setTimeout(this.#check, this.#timeout);
    }
  }

  /** Stops for good, leaving no timer behind. */
  stop(): void {
    this.#isStopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #check = (): void => {
    this.#timer = undefined;
    if (this.#isStopped) return;
    const timeout = this.#timeout;
    const watched = this.#watched;
    const heard = Math.max(this.#lastRead, this.#sentAt);
    let now = Date.now();
    let next = Infinity;
    if (watched.hasInFlight()) {
      if (now - heard >= timeout) {
        watched.drop(new Error(`nothing came back for ${timeout} ms (commandTimeout)`));
      } else next = heard + timeout;
    } else if (watched.canProbe()) {
      if (now - heard >= timeout / 2) {
        watched.probe();
        now = this.#sentAt;
        next = now + timeout;
      } else next = heard + timeout / 2;
    }
    const oldest = watched.expireWaiting(now - timeout);
    if (oldest !== undefined) next = Math.min(next, oldest + timeout);
    // The probe's send may have armed a timer; this one replaces it.
    clearTimeout(this.#timer);
    this.#timer = next === Infinity || this.#isStopped
      ? undefined
      : setTimeout(this.#check, Math.max(0, next - now));
  };
}
