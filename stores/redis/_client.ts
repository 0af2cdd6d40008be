/**
 * A lean Redis client over the runtime's own sockets (see `_socket.ts`): what the store needs
 * and nothing more. Private to the Redis store.
 *
 * How a connection lives:
 *
 * - **connecting → ready.** Each attempt opens a socket (TCP keepalive on) and sends the
 *   handshake in one write (`_handshake.ts`): AUTH, SELECT, CLIENT SETNAME, and a SUBSCRIBE
 *   per followed channel. It is ready once they succeed; commands issued before then wait.
 * - **ready.** Commands are pipelined (`_pipeline.ts`): each is written at once (the commands
 *   of one tick in a single write) and replies are matched to them in order.
 * - **reconnecting.** A failed attempt or a dropped connection waits `min(times * 100, 1000)`
 *   ms and tries again, for as long as the client is open. Commands in flight when the
 *   connection drops reject and are never resent: a resent add script could add a job twice
 *   (processors retry, settles are fenced by their token). Waiting commands reject once three
 *   attempts have failed since they were issued, so a caller learns of an outage in about half
 *   a second while the client goes on reconnecting. A refused login (NOAUTH, WRONGPASS)
 *   rejects them at once, and every command until an attempt succeeds, since retrying does
 *   not change a password.
 * - **silence.** A connection that stops answering without closing counts as dropped once
 *   the watchdog (`_watchdog.ts`) finds it silent for `commandTimeout` ms while commands wait;
 *   idle connections are probed with PING, and a waiting command rejects `commandTimeout` ms
 *   after it was issued at the latest.
 * - **end.** After `quit()` or `disconnect()`: every waiting command rejects, and no socket or
 *   timer is left behind.
 *
 * Nothing is ever thrown outside of a returned promise, and no event is emitted.
 *
 * @module
 */

import type { ConnectionOptions } from "node:tls";
import { type Arg, encodeCommand, type Reply, ReplyError, ReplyParser } from "./_resp.ts";
import { openSocket, type Socket } from "./_socket.ts";
import { awaitQuit, type ConnectionStatus, type RedisConnection } from "./_connection.ts";
import { RedisAuthError } from "./_auth.ts";
import { handshakeError, type HandshakeSettings, handshakeSteps } from "./_handshake.ts";
import { Watchdog } from "./_watchdog.ts";
import { type InFlight, Pipeline } from "./_pipeline.ts";

/** How to reach Redis, who to be there, and how long to wait for it. */
export interface ClientSettings extends HandshakeSettings {
  /** TLS options; plain TCP when absent. */
  tls?: ConnectionOptions;
  /** Failed connection attempts a waiting command sits through before it rejects. */
  retriesPerCommand: number;
  /** Milliseconds to wait before attempt `times` (1 for the first retry). */
  retryDelay: (times: number) => number;
  /** Milliseconds an attempt may take to open its socket. */
  connectTimeout: number;
  /**
   * Milliseconds of silence, while a command waits for its reply, after which the
   * connection counts as dead; also the longest a command waits to be sent.
   */
  commandTimeout: number;
}

/** A command issued while no connection was ready. */
interface Waiting extends InFlight {
  text: string;
  failures: number;
  /** When it was issued (epoch ms), for `commandTimeout`. */
  issued: number;
}

/** A followed channel. */
interface Channel {
  onMessage(message: string): void;
  onRenewed?(): void;
  /** Whether Redis has confirmed it once (so a later handshake renews it). */
  isConfirmed: boolean;
}

/** The watchdog's PING: only its arrival matters. */
const PROBE: InFlight = { resolve() {}, reject() {} };
const PING = encodeCommand(["PING"]);

/** One connection to one Redis, reconnecting until closed. */
export class RespClient implements RedisConnection {
  readonly isCluster = false;
  #settings: ClientSettings;
  #status: ConnectionStatus = "connecting";
  #socket: Socket | undefined;
  /** Counts attempts, so the callbacks of an earlier socket are told apart. */
  #epoch = 0;
  #parser = new ReplyParser((reply) => this.#onReply(reply));
  #pipeline = new Pipeline(
    (text) => this.#socket?.write(text),
    () => this.#watchdog.noteSend(),
  );
  #waiting: Waiting[] = [];
  #channels = new Map<string, Channel>();
  /** Failed attempts in a row, for the backoff. */
  #attempts = 0;
  /** Why the latest attempt failed, for the commands that give up waiting. */
  #lastFailure: Error | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #watchdog: Watchdog;
  #abort = new AbortController();
  /** The attempt under way, so closing can wait for it. */
  #connecting: Promise<void> | undefined;
  #isClosing = false;

  /** Starts connecting in the background. */
  constructor(settings: ClientSettings) {
    this.#settings = settings;
    this.#watchdog = new Watchdog(settings.commandTimeout, {
      hasInFlight: () => this.#pipeline.hasInFlight,
      canProbe: () => this.#status === "ready" && !this.#isClosing,
      probe: () => this.#pipeline.send(PING, PROBE),
      drop: (reason) => this.#drop(reason),
      expireWaiting: (before) => this.#expireWaiting(before),
    });
    this.#connecting = this.#connect();
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /**
   * Sends one command, e.g. `["GET", "key"]`.
   *
   * @returns the reply: string, number, null or an array of these
   * @throws {ReplyError} when Redis answers with an error
   * @throws {RedisAuthError} when Redis refuses the login (or asks for one)
   * @throws {Error} when the connection drops or falls silent before the reply, Redis stays
   * unreachable for `retriesPerCommand` attempts or `commandTimeout` ms, or the client is
   * closed
   */
  call(command: readonly Arg[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#status === "ready") {
        return this.#pipeline.send(encodeCommand(command), { resolve, reject });
      }
      if (this.#isClosing) return reject(this.#closedError());
      // Refused until an attempt succeeds: retrying does not change a password.
      if (this.#lastFailure instanceof RedisAuthError) return reject(this.#lastFailure);
      const issued = Date.now();
      this.#waiting.push({ text: encodeCommand(command), resolve, reject, failures: 0, issued });
      this.#watchdog.arm();
    });
  }

  /**
   * Follows `channel`, calling `onMessage` with each message. The connection serves only
   * subscriptions from then on; they are renewed on every reconnect, after which `onRenewed`
   * is called (what was published meanwhile is lost).
   */
  async subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onRenewed?: () => void,
  ): Promise<void> {
    const followed: Channel = { onMessage, onRenewed, isConfirmed: false };
    this.#channels.set(channel, followed);
    await this.call(["SUBSCRIBE", channel]);
    followed.isConfirmed = true;
  }

  /** Says QUIT and waits up to a second for Redis to answer, then disconnects. */
  async quit(): Promise<void> {
    if (this.#status === "ready" && !this.#isClosing) {
      this.#isClosing = true;
      await awaitQuit(this.call(["QUIT"]));
    }
    await this.disconnect();
  }

  /** Closes the connection at once; waiting and in-flight commands reject. */
  async disconnect(): Promise<void> {
    if (this.#status !== "end") {
      this.#isClosing = true;
      this.#status = "end";
      this.#epoch++;
      clearTimeout(this.#timer);
      this.#watchdog.stop();
      this.#abort.abort(this.#closedError());
      const error = this.#closedError();
      this.#pipeline.rejectAll(error);
      for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
    }
    const socket = this.#socket;
    this.#socket = undefined;
    await this.#connecting;
    await socket?.close();
  }

  #onReply(reply: Reply): void {
    if (this.#channels.size > 0 && isMessage(reply)) {
      const followed = this.#channels.get(reply[1] as string);
      try {
        followed?.onMessage(reply[2] as string);
      } catch {
        // A listener's failure is its own; the connection goes on.
      }
      return;
    }
    const pending = this.#pipeline.next();
    if (reply instanceof ReplyError) pending.reject(reply);
    else pending.resolve(reply);
  }

  /** One attempt: socket, handshake, then the waiting commands. Never rejects. */
  async #connect(): Promise<void> {
    const epoch = ++this.#epoch;
    const { host, port, tls, connectTimeout } = this.#settings;
    let socket: Socket;
    try {
      socket = await openSocket(
        { host, port, tls, connectTimeout, signal: this.#abort.signal },
        {
          onData: (chunk) => this.#onData(epoch, chunk),
          onClose: (error) => this.#onLost(epoch, error),
        },
      );
    } catch (error) {
      if (epoch === this.#epoch) this.#onFailed(asError(error));
      return;
    }
    if (epoch !== this.#epoch) return void await socket.close();
    this.#socket = socket;
    this.#watchdog.noteRead();
    this.#parser.reset();
    const renewed = [...this.#channels.values()].filter((followed) => followed.isConfirmed);
    const error = await this.#handshake();
    if (epoch !== this.#epoch) return;
    if (error) {
      this.#epoch++;
      this.#socket = undefined;
      this.#pipeline.rejectAll(error);
      this.#onFailed(error);
      await socket.close();
      return;
    }
    this.#status = "ready";
    this.#attempts = 0;
    this.#lastFailure = undefined;
    for (const waiting of this.#waiting.splice(0)) this.#pipeline.send(waiting.text, waiting);
    this.#watchdog.arm(); // An idle connection is probed too.
    for (const followed of renewed) {
      try {
        followed.onRenewed?.();
      } catch {
        // The listener's failure is its own.
      }
    }
  }

  /** Sends the handshake; resolves with the error that makes the connection unusable, if any. */
  async #handshake(): Promise<Error | undefined> {
    const steps = handshakeSteps(this.#settings, this.#channels.keys());
    const results = await Promise.allSettled(
      steps.map(({ command }) =>
        new Promise((resolve, reject) =>
          this.#pipeline.send(encodeCommand(command), { resolve, reject })
        )
      ),
    );
    return handshakeError(steps, results, this.#settings);
  }

  #onData(epoch: number, chunk: Uint8Array): void {
    if (epoch !== this.#epoch) return;
    this.#watchdog.noteRead();
    try {
      this.#parser.feed(chunk);
    } catch (error) {
      // Unparseable bytes: nothing later on this connection can be trusted.
      this.#drop(asError(error));
    }
  }

  /** Closes the current socket and handles it as lost with `error`. */
  #drop(error: Error): void {
    const socket = this.#socket;
    this.#onLost(this.#epoch, error);
    void socket?.close();
  }

  /** The connection dropped: commands in flight reject, and a new attempt is scheduled. */
  #onLost(epoch: number, error?: Error): void {
    if (epoch !== this.#epoch) return;
    this.#epoch++;
    this.#socket = undefined;
    const lost = new Error(
      `Connection to Redis at ${this.#where()} closed before the reply (the command may have run)${
        error ? `: ${error.message}` : ""
      }`,
      { cause: error },
    );
    this.#pipeline.rejectAll(lost);
    if (this.#status === "ready") this.#schedule();
    else this.#onFailed(error ?? lost); // Dropped during the handshake: that attempt failed.
  }

  /** An attempt failed: waiting commands count it, and the next attempt is scheduled. */
  #onFailed(error: Error): void {
    if (this.#isClosing) return;
    this.#lastFailure = error;
    if (error instanceof RedisAuthError) {
      for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
    }
    const retries = this.#settings.retriesPerCommand;
    const given = this.#waiting.filter((waiting) => ++waiting.failures >= retries);
    if (given.length > 0) {
      this.#waiting = this.#waiting.filter((waiting) => waiting.failures < retries);
      const reason = new Error(
        `Cannot reach Redis at ${this.#where()} (${retries} connection attempts failed): ${error.message}`,
        { cause: error },
      );
      for (const waiting of given) waiting.reject(reason);
    }
    this.#schedule();
  }

  /** Waits out the backoff, then makes the next attempt. */
  #schedule(): void {
    if (this.#isClosing) return;
    this.#status = "reconnecting";
    const delay = this.#settings.retryDelay(++this.#attempts);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#connecting = this.#connect();
    }, delay);
  }

  /** Rejects the waiting commands issued at or before `before`; see `Watched`. */
  #expireWaiting(before: number): number | undefined {
    let expired = 0;
    while (expired < this.#waiting.length && this.#waiting[expired].issued <= before) expired++;
    if (expired > 0) {
      const failure = this.#lastFailure;
      const reason = new Error(
        `Cannot reach Redis at ${this.#where()} within ${this.#settings.commandTimeout} ms (commandTimeout)${
          failure ? `: ${failure.message}` : ""
        }`,
        { cause: failure },
      );
      for (const waiting of this.#waiting.splice(0, expired)) waiting.reject(reason);
    }
    return this.#waiting[0]?.issued;
  }

  #where(): string {
    const { host, port } = this.#settings;
    return `${host.includes(":") ? `[${host}]` : host}:${port}`;
  }

  #closedError(): Error {
    return new Error("Cannot send the command as the connection to Redis is closed");
  }
}

/** Whether a reply is a pub/sub message, `["message", channel, payload]`. */
function isMessage(reply: Reply): reply is Reply[] {
  return Array.isArray(reply) && reply.length === 3 && reply[0] === "message";
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
