/**
 * The Redis store's options as `resolveOptions()` reads them; the rest of their checks are
 * pinned through the constructor in `redis_store_test.ts`.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveOptions } from "../stores/redis/_options.ts";

/** The resolved `commandTimeout` for `options` (the connection it starts is closed again). */
async function commandTimeout(options: Parameters<typeof resolveOptions>[0]): Promise<number> {
  const resolved = resolveOptions(options);
  await resolved.client.quit();
  return resolved.commandTimeout;
}

test("resolveOptions() reads commandTimeout from the option, else the URL, else 5 s", async () => {
  const url = "redis://127.0.0.1:1";
  assert.equal(await commandTimeout({ url }), 5000);
  assert.equal(await commandTimeout({ url, commandTimeout: 250 }), 250);
  assert.equal(await commandTimeout({ url, commandTimeout: "2s" }), 2000);
  assert.equal(await commandTimeout({ url: `${url}?commandTimeout=1500` }), 1500);
  assert.equal(await commandTimeout({ url: `${url}?commandTimeout=3s` }), 3000);
  assert.equal(
    await commandTimeout({ url: `${url}?commandTimeout=3s`, commandTimeout: 100 }),
    100,
    "the option wins",
  );
});

test("resolveOptions() throws for a commandTimeout that is no duration or not above 0", () => {
  assert.throws(
    () => resolveOptions({ commandTimeout: "soon" }),
    new TypeError(
      `Cannot read the Redis store's commandTimeout as it must be milliseconds or a string like "10ms", "30s", "45m", "2h", "6d": current value is "soon"`,
    ),
  );
  assert.throws(
    () => resolveOptions({ url: "redis://127.0.0.1?commandTimeout=0" }),
    new RangeError(
      'Cannot open the Redis store as commandTimeout must be above 0 and at most 2147483647 ms: current value is "0"',
    ),
  );
  assert.throws(() => resolveOptions({ commandTimeout: -1 }), RangeError);
  assert.throws(() => resolveOptions({ commandTimeout: Infinity }), RangeError);
  assert.throws(() => resolveOptions({ commandTimeout: 2 ** 31 }), RangeError);
});
