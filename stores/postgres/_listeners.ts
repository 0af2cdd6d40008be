/**
 * Who listens: each store with a LISTEN open registers a row in `listeners`, so a store that
 * has job events to send can tell whether anyone else would hear them; and the SQL that sends
 * held events from inside another statement. @module
 */

import { type Connection, sqlState } from "./_connection.ts";

/*
 * The guarantee (the `Store.publish` contract): a subscriber that reads a job after its
 * subscription started never misses that job's later events. Events are sent by statements
 * that call `listening()`, which takes a shared advisory lock and then counts the other
 * listeners in a fresh snapshot. A new listener inserts its row (committed), then takes the
 * same lock exclusively, which waits for every statement holding it: those that may have
 * counted without seeing the row. Its store's `ready` settles only after that, and its reads
 * wait for `ready`. So an event either is sent by a statement that saw the row, or was sent
 * (dropped) by a statement that committed before the listener read anything, about a job
 * whose state that read then sees.
 *
 * The exclusive lock is taken with a lock timeout and tried again, so a registration never
 * holds the others up for long. Rows are refreshed while the store listens and expire when a
 * process dies without removing its own; until then others keep sending, as before.
 */

/** How long a registration lives without a refresh (ms); refreshed every third of it. */
export const LISTENER_TTL = 60_000;

/** The advisory lock both sides take: the text `listening()` hashes, for this schema. */
const lockKey = (schema: string) => `kinetik listeners "${schema}"`;

/**
 * Registers store `id` as a listener, then waits until every statement that may have counted
 * the listeners without it has committed.
 *
 * @throws {StoreError} when PostgreSQL fails
 */
export async function register(
  connection: Connection,
  schema: string,
  id: string,
): Promise<void> {
  await refresh(connection, schema, id);
  for (;;) {
    try {
      await connection.query(
        "subscribe",
        `SELECT set_config('lock_timeout', '1000', true),
           pg_advisory_xact_lock(hashtext($1))`,
        [lockKey(schema)],
      );
      return;
    } catch (error) {
      if (sqlState(error) !== "55P03") throw error; // lock_not_available: try again
    }
  }
}

/** Extends the registration of `id` and drops registrations long expired. */
export async function refresh(connection: Connection, schema: string, id: string): Promise<void> {
  const now = Date.now();
  await connection.query(
    "subscribe",
    `WITH gone AS (DELETE FROM "${schema}".listeners WHERE expires < $3::bigint)
     INSERT INTO "${schema}".listeners (id, expires) VALUES ($1, $2::bigint)
     ON CONFLICT (id) DO UPDATE SET expires = excluded.expires`,
    [id, now + LISTENER_TTL, now - LISTENER_TTL],
  );
}

/** Removes the registration of `id` (the store stops listening). */
export async function unregister(connection: Connection, schema: string, id: string) {
  await connection.query(
    "unsubscribe",
    `DELETE FROM "${schema}".listeners WHERE id = $1`,
    [id],
  );
}

/**
 * CTEs that send held payloads (`carried`, which the statement must read: `SELECT count(*)
 * FROM carried`, or PostgreSQL never runs it) when `force` or
 * another store listens. Parameters from `$first`: payloads, force, this store's listener id
 * (or ''), now.
 */
export function carriedCte(schema: string, channel: string, first: number): string {
  const p = (i: number) => `$${first + i}`;
  return `listened AS MATERIALIZED (
      SELECT ${p(1)}::boolean OR "${schema}".listening(${p(2)}::text, ${p(3)}::bigint) AS yes),
    carried AS (
      SELECT pg_notify('${channel}', e.payload)
      FROM unnest(${p(0)}::text[]) WITH ORDINALITY AS e(payload, i), listened
      WHERE listened.yes ORDER BY e.i)`;
}

/** The parameters of {@linkcode carriedCte}. */
export function carriedParams(payloads: string[], force: boolean, me: string): unknown[] {
  return [payloads, force, me, Date.now()];
}

/** The statement that sends held payloads alone. */
export function sendSql(schema: string, channel: string): string {
  return `WITH ${carriedCte(schema, channel, 1)} SELECT count(*) AS n FROM carried`;
}
