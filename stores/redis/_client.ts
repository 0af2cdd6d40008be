/**
 * A lean Redis client over the runtime's own sockets (see `_socket.ts`): what the store needs
 * and nothing more. Private to the Redis store.
 *
 * How a connection lives:
 *
 * - **connecting → ready.** Each attempt opens a socket and sends the handshake in one write:
 *   AUTH, SELECT (for a database other than 0), CLIENT SETNAME, and a SUBSCRIBE per followed
 *   channel. It is ready once AUTH and SELECT succeed; commands issued before then wait.
 * - **ready.** Commands are pipelined: each is written at once (the commands of one tick in a
 *   single write) and replies are matched to them in order.
 * - **reconnecting.** A failed attempt or a dropped connection waits `min(times * 100, 1000)`
 *   ms and tries again, for as long as the client is open. Commands in flight when the
 *   connection drops reject and are never resent: a resent add script could add a job twice
 *   (processors retry, settles are fenced by their token). Waiting commands reject once three
 *   attempts have failed since they were issued, so a caller learns of an outage in about half
 *   a second while the client goes on reconnecting.
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

/** How to reach Redis and who to be there. */
export interface ClientSettings {
  host: string;
  port: number;
  /** SELECTed when not 0. */
  db: number;
  username?: string;
  password?: string;
  /** TLS options; plain TCP when absent. */
  tls?: ConnectionOptions;
  /** CLIENT SETNAME, so CLIENT LIST shows who is who. */
  name: string;
  /** Failed connection attempts a waiting command sits through before it rejects. */
  retriesPerCommand: number;
  /** Milliseconds to wait before attempt `times` (1 for the first retry). */
  retryDelay: (times: number) => number;
  /** Milliseconds an attempt may take to open its socket. */
  connectTimeout: number;
}

/** A command sent, waiting for its reply. */
interface InFlight {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

/** A command issued while no connection was ready. */
interface Waiting extends InFlight {
  text: string;
  failures: number;
}

/** One connection to one Redis, reconnecting until closed. */
export class RespClient implements RedisConnection {
  readonly isCluster = false;
  #settings: ClientSettings;
  #status: ConnectionStatus = "connecting";
  #socket: Socket | undefined;
  /** Counts attempts, so the callbacks of an earlier socket are told apart. */
  #epoch = 0;
  #parser = new ReplyParser((reply) => this.#onReply(reply));
  #inFlight: InFlight[] = [];
  #head = 0;
  #outbox: string[] = [];
  #waiting: Waiting[] = [];
  #channels = new Map<string, (message: string) => void>();
  /** Failed attempts in a row, for the backoff. */
  #attempts = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #abort = new AbortController();
  /** The attempt under way, so closing can wait for it. */
  #connecting: Promise<void> | undefined;
  #isClosing = false;

  /** Starts connecting in the background. */
  constructor(settings: ClientSettings) {
    this.#settings = settings;
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
   * @throws {Error} when the connection drops before the reply, Redis stays unreachable
   * for `retriesPerCommand` attempts, or the client is closed
   */
  call(command: readonly Arg[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#status === "ready") return this.#send(encodeCommand(command), { resolve, reject });
      if (this.#isClosing) return reject(this.#closedError());
      this.#waiting.push({ text: encodeCommand(command), resolve, reject, failures: 0 });
    });
  }

  /**
   * Follows `channel`, calling `onMessage` with each message. The connection serves only
   * subscriptions from then on; they are renewed on every reconnect.
   */
  async subscribe(channel: string, onMessage: (message: string) => void): Promise<void> {
    this.#channels.set(channel, onMessage);
    await this.call(["SUBSCRIBE", channel]);
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
      this.#abort.abort(this.#closedError());
      const error = this.#closedError();
      this.#rejectInFlight(error);
      for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
    }
    const socket = this.#socket;
    this.#socket = undefined;
    await this.#connecting;
    await socket?.close();
  }

  /** Queues `text` for this tick's write and `pending` for its reply. */
  #send(text: string, pending: InFlight): void {
    this.#inFlight.push(pending);
    if (this.#outbox.push(text) === 1) queueMicrotask(this.#flush);
  }

  /** Writes the commands of this tick at once. */
  #flush = (): void => {
    const outbox = this.#outbox;
    if (outbox.length === 0) return;
    const text = outbox.length === 1 ? outbox[0] : outbox.join("");
    outbox.length = 0;
    this.#socket?.write(text);
  };

  #onReply(reply: Reply): void {
    if (this.#channels.size > 0 && isMessage(reply)) {
      const onMessage = this.#channels.get(reply[1] as string);
      try {
        onMessage?.(reply[2] as string);
      } catch {
        // A listener's failure is its own; the connection goes on.
      }
      return;
    }
    if (this.#head >= this.#inFlight.length) {
      throw new SyntaxError("Cannot match a Redis reply as no command is waiting for one");
    }
    const pending = this.#inFlight[this.#head];
    this.#inFlight[this.#head++] = undefined!;
    if (this.#head === this.#inFlight.length) {
      this.#inFlight.length = 0;
      this.#head = 0;
    }
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
    this.#parser.reset();
    const error = await this.#handshake();
    if (epoch !== this.#epoch) return;
    if (error) {
      this.#epoch++;
      this.#socket = undefined;
      this.#rejectInFlight(error);
      this.#onFailed(error);
      await socket.close();
      return;
    }
    this.#status = "ready";
    this.#attempts = 0;
    for (const waiting of this.#waiting.splice(0)) this.#send(waiting.text, waiting);
  }

  /** Sends the handshake; resolves with the error that makes the connection unusable, if any. */
  async #handshake(): Promise<Error | undefined> {
    const { username, password, db, name } = this.#settings;
    const steps: Promise<unknown>[] = [];
    const send = (command: Arg[]) =>
      new Promise((resolve, reject) => this.#send(encodeCommand(command), { resolve, reject }));
    if (password !== undefined) {
      steps.push(send(username === undefined ? ["AUTH", password] : ["AUTH", username, password]));
    }
    if (db !== 0) steps.push(send(["SELECT", db]));
    // Naming is a courtesy: a server or proxy without CLIENT SETNAME is still usable.
    send(["CLIENT", "SETNAME", name]).catch(() => {});
    for (const channel of this.#channels.keys()) steps.push(send(["SUBSCRIBE", channel]));
    const results = await Promise.allSettled(steps);
    const failed = results.find((result) => result.status === "rejected");
    return failed && asError((failed as PromiseRejectedResult).reason);
  }

  #onData(epoch: number, chunk: Uint8Array): void {
    if (epoch !== this.#epoch) return;
    try {
      this.#parser.feed(chunk);
    } catch (error) {
      // Unparseable bytes: nothing later on this connection can be trusted.
      const socket = this.#socket;
      this.#onLost(epoch, asError(error));
      void socket?.close();
    }
  }

  /** The connection dropped: commands in flight reject, and a new attempt is scheduled. */
  #onLost(epoch: number, error?: Error): void {
    if (epoch !== this.#epoch) return;
    this.#epoch++;
    this.#socket = undefined;
    const where = `${this.#settings.host}:${this.#settings.port}`;
    const lost = new Error(
      `Connection to Redis at ${where} closed before the reply (the command may have run)${
        error ? `: ${error.message}` : ""
      }`,
      { cause: error },
    );
    this.#rejectInFlight(lost);
    if (this.#status === "ready") this.#schedule();
    else this.#onFailed(error ?? lost); // Dropped during the handshake: that attempt failed.
  }

  /** An attempt failed: waiting commands count it, and the next attempt is scheduled. */
  #onFailed(error: Error): void {
    if (this.#isClosing) return;
    const retries = this.#settings.retriesPerCommand;
    const given = this.#waiting.filter((waiting) => ++waiting.failures >= retries);
    if (given.length > 0) {
      this.#waiting = this.#waiting.filter((waiting) => waiting.failures < retries);
      const { host, port } = this.#settings;
      const reason = new Error(
        `Cannot reach Redis at ${host}:${port} (${retries} connection attempts failed): ${error.message}`,
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

  #rejectInFlight(error: Error): void {
    const inFlight = this.#inFlight;
    const head = this.#head;
    this.#inFlight = [];
    this.#head = 0;
    this.#outbox.length = 0;
    for (let i = head; i < inFlight.length; i++) inFlight[i].reject(error);
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
