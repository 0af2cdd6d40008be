/**
 * The PostgreSQL store's messages between processes: `LISTEN` on a dedicated connection (the
 * `postgres` client's `sql.listen`), opened on the first `subscribe`, fanned out to every
 * stream this store opened; `NOTIFY` (`pg_notify`) to send. @module
 */

import { StoreError, type StoreMessage } from "../../src/store.ts";
import type { Connection } from "./_connection.ts";
import { storeError } from "./_connection.ts";
import {
  carriedParams,
  LISTENER_TTL,
  refresh,
  register,
  sendSql,
  unregister,
} from "./_listeners.ts";
import { channelName, splitPayload, toPayloads } from "./_notify.ts";
import { type Carried, Outbox } from "./_outbox.ts";

/** Rows of the `events` table older than this are pruned (server clock, housekeeping only). */
const EVENT_MAX_AGE = "5 minutes";
/** Pruning runs after this many stored (large) messages from this store. */
const PRUNE_EVERY = 64;

interface Stream {
  controller: ReadableStreamDefaultController<StoreMessage>;
  /** The origin of the events this stream's reader publishes itself: their echo is skipped. */
  origin: string | undefined;
}

/*
 * Delivery. PostgreSQL delivers a NOTIFY to every listening connection once the sending
 * transaction commits, the sender's own included, in commit order. So this store hears its own
 * messages the same way as everyone else's, and a wake-up sent inside a caller's transaction
 * (a transactional add) reaches nobody before that transaction commits, and nobody at all if
 * it rolls back.
 *
 * Not missing a message. `ready` settles once the LISTEN of the latest `stream()` has been
 * confirmed; `publish` and every verb that sends a wake-up await it first, so a message this
 * store sends after `subscribe()` returned is heard by that subscription. Another process's
 * message is heard when it commits after the LISTEN.
 *
 * Reconnects. The client's listen connection reconnects and listens again by itself; what was
 * sent while it was down is lost, so each re-listen hands every stream a wake-up (processors
 * claim again at once instead of waiting for their interval).
 *
 * Order. A large message arrives as `#<id>` and is read from the `events` table; messages
 * behind it wait for that read, so every stream sees messages in the order they were sent.
 *
 * Job events (messages of type `event`) go through the outbox (`_outbox.ts`): carried by this
 * store's next settle or claim, and sent only when another store listens (`_listeners.ts`:
 * each store with a LISTEN open registers itself, and `ready` settles once it has).
 */
export class Events {
  #connection: Connection;
  #schema: string;
  #channel: string;
  #streams = new Set<Stream>();
  #listening: Promise<void> | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #ready: Promise<void> = Promise.resolve();
  #listens = 0;
  /** Messages behind a large one being read, in order. */
  #backlog: Promise<void> | undefined;
  #stored = 0;
  #closed = false;
  /** This store's row in `listeners` while it listens. */
  readonly listenerId: string = crypto.randomUUID();
  #isRegistered = false;
  #refresher: ReturnType<typeof setInterval> | undefined;
  #outbox = new Outbox((payloads, force) => this.#sendAlone(payloads, force));

  #schemaReady: () => Promise<void>;

  /** @param schemaReady settles once the schema exists (registering needs its tables) */
  constructor(connection: Connection, schema: string, schemaReady: () => Promise<void>) {
    this.#connection = connection;
    this.#schema = schema;
    this.#channel = channelName(schema);
    this.#schemaReady = schemaReady;
  }

  /** The channel every message of this schema is sent on. */
  get channel(): string {
    return this.#channel;
  }

  /** Settles once the latest subscription listens (never rejects). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** A stream of every message sent on the channel from now on, until `signal` aborts. */
  stream(signal: AbortSignal, origin?: string): ReadableStream<StoreMessage> {
    let stream: Stream | undefined;
    const end = () => {
      signal.removeEventListener("abort", end);
      if (!stream || !this.#streams.delete(stream)) return;
      try {
        stream.controller.close();
      } catch {
        // Already closed or cancelled by the reader.
      }
    };
    return new ReadableStream<StoreMessage>({
      start: (controller) => {
        if (signal.aborted) return controller.close();
        stream = { controller, origin };
        this.#streams.add(stream);
        signal.addEventListener("abort", end, { once: true });
        this.#listen();
      },
      cancel: () => end(),
    });
  }

  /**
   * Job events held for a statement to carry (see `_outbox.ts`), or `undefined`; the statement
   * sends them with {@linkcode carriedCte} and the parameters of {@linkcode carriedParams}.
   */
  take(): { carried: Carried; params: unknown[] } | undefined {
    const carried = this.#outbox.take();
    if (!carried) return undefined;
    return {
      carried,
      params: carriedParams(
        carried.payloads,
        carried.force,
        this.#isRegistered ? this.listenerId : "",
      ),
    };
  }

  /** Sends a message to every subscriber of the schema, this store's included. */
  async publish(message: StoreMessage): Promise<void> {
    await this.#ready;
    if (this.#closed) throw new StoreError("postgres", "Cannot publish as the store is closed");
    const payloads = toPayloads(message);
    if (message.type === "event" && payloads.every((payload) => !payload.isLarge)) {
      // A stream here with another origin hears this store's events only through NOTIFY.
      const force = this.#isWantedLocally(message.origin);
      return await this.#outbox.add(payloads.map((payload) => payload.text), force);
    }
    const large = payloads.filter((payload) => payload.isLarge);
    if (large.length > 0) {
      // Ids rise in insert order, so the n-th id belongs to the n-th large payload.
      const rows = await this.#connection.query(
        "publish",
        `INSERT INTO "${this.#schema}".events (body)
         SELECT body FROM unnest($1::text[]) WITH ORDINALITY AS p(body, n) ORDER BY n
         RETURNING id`,
        [large.map((payload) => payload.text.slice(payload.text.indexOf("|") + 1))],
      );
      const ids = rows.map((row) => String(row.id)).sort((a, b) => Number(a) - Number(b));
      large.forEach((payload, i) => {
        payload.text = `${payload.text.slice(0, payload.text.indexOf("|") + 1)}#${ids[i]}`;
      });
      this.#stored += large.length;
      if (this.#stored >= PRUNE_EVERY) {
        this.#stored = 0;
        await this.#connection.query(
          "prune events",
          `DELETE FROM "${this.#schema}".events WHERE at < now() - interval '${EVENT_MAX_AGE}'`,
        );
      }
    }
    await this.#connection.query(
      "publish",
      `SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n`,
      [this.#channel, payloads.map((payload) => payload.text)],
    );
  }

  /** Sends held events alone, when another store listens (or `force`). */
  async #sendAlone(payloads: string[], force: boolean): Promise<void> {
    await this.#connection.query(
      "publish",
      sendSql(this.#schema, this.#channel),
      carriedParams(payloads, force, this.#isRegistered ? this.listenerId : ""),
    );
  }

  /** Ends every stream and stops listening, after sending the events still held. */
  async close(): Promise<void> {
    await this.#outbox.flush();
    this.#closed = true;
    this.#outbox.drop(new StoreError("postgres", "Cannot publish as the store is closed"));
    for (const stream of [...this.#streams]) {
      this.#streams.delete(stream);
      try {
        stream.controller.close();
      } catch {
        // Already closed.
      }
    }
    await this.#listening?.catch(() => {});
    clearInterval(this.#refresher);
    if (this.#isRegistered) {
      this.#isRegistered = false;
      await unregister(this.#connection, this.#schema, this.listenerId).catch(() => {});
    }
    // The store's own pool takes its listen connection down with it; a shared client keeps
    // it, so only this store's listener goes.
    if (!this.#connection.isOwn) await this.#unlisten?.().catch(() => {});
  }

  /** Starts the LISTEN unless it runs already; registers this store once it listens. */
  #listen(): void {
    if (this.#listening || this.#closed) return;
    const listening = this.#connection.sql.listen(
      this.#channel,
      (payload) => this.#receive(payload),
      () => {
        // Called after every (re)listen; from the second on, messages may have been lost
        // (and the registration may have expired meanwhile).
        if (++this.#listens > 1) {
          this.#send({ type: "wake" });
          register(this.#connection, this.#schema, this.listenerId).catch(() => {});
        }
      },
    ).then(async (meta) => {
      this.#unlisten = meta.unlisten;
      await this.#schemaReady();
      await register(this.#connection, this.#schema, this.listenerId);
      this.#isRegistered = true;
      this.#refresher = setInterval(() => {
        refresh(this.#connection, this.#schema, this.listenerId).catch(() => {});
      }, LISTENER_TTL / 3); // cleared by close(), as the listen connection ends
    });
    this.#listening = listening.catch((error) => {
      // Let the next subscription try again; the streams end so their readers resubscribe.
      this.#listening = undefined;
      this.#fail(storeError("subscribe", error));
    });
    this.#ready = this.#listening;
  }

  #receive(payload: string): void {
    const { origin, body } = splitPayload(payload);
    if (this.#backlog || body.startsWith("#")) {
      const previous = this.#backlog ?? Promise.resolve();
      const next: Promise<void> = previous.then(() => this.#read(origin, body)).finally(() => {
        if (this.#backlog === next) this.#backlog = undefined;
      });
      this.#backlog = next;
      return;
    }
    this.#deliver(origin, body);
  }

  /** Reads a large message's body from the `events` table, then delivers it. */
  async #read(origin: string, body: string): Promise<void> {
    if (!body.startsWith("#")) return this.#deliver(origin, body);
    if (!this.#isWanted(origin)) return;
    try {
      const [row] = await this.#connection.query(
        "read an event",
        `SELECT body FROM "${this.#schema}".events WHERE id = $1`,
        [body.slice(1)],
      );
      // A row pruned before it was read (a reader minutes behind) is lost, as a dropped NOTIFY.
      if (row) this.#deliver(origin, row.body as string);
    } catch {
      // The store is closing, or the read failed: the message is lost; intervals cover it.
    }
  }

  /** Whether a stream of this store other than those of `origin`'s reader is open. */
  #isWantedLocally(origin: string): boolean {
    for (const stream of this.#streams) if (stream.origin !== origin) return true;
    return false;
  }

  /** Whether a stream other than those of `origin`'s reader is open. */
  #isWanted(origin: string): boolean {
    if (origin === "") return this.#streams.size > 0;
    for (const stream of this.#streams) if (stream.origin !== origin) return true;
    return false;
  }

  #deliver(origin: string, body: string): void {
    if (!this.#isWanted(origin)) return;
    let message: StoreMessage;
    try {
      message = JSON.parse(body);
    } catch {
      return; // Not ours: someone else notified on the channel.
    }
    if (message === null || typeof message !== "object" || typeof message.type !== "string") {
      return;
    }
    for (const stream of this.#streams) {
      if (origin !== "" && stream.origin === origin) continue;
      this.#enqueue(stream, message);
    }
  }

  #send(message: StoreMessage): void {
    for (const stream of this.#streams) this.#enqueue(stream, message);
  }

  #enqueue(stream: Stream, message: StoreMessage): void {
    try {
      stream.controller.enqueue(message);
    } catch {
      this.#streams.delete(stream); // Errored or cancelled by its reader: nobody listens.
    }
  }

  #fail(error: Error): void {
    for (const stream of [...this.#streams]) {
      this.#streams.delete(stream);
      try {
        stream.controller.error(error);
      } catch {
        // Already closed.
      }
    }
  }
}
