/**
 * The store conformance suite: every Kinetik store, built in or third-party, runs the same
 * cases against a fresh store, and skips by name only what it cannot do.
 *
 * ```ts ignore
 * import { test } from "node:test";
 * import { testStore } from "@kinetik/kinetik/testing";
 * import { MyStore } from "./my_store.ts";
 *
 * testStore(test, { name: "mine", open: () => new MyStore(), skip: { workers: "no heartbeats" } });
 * ```
 *
 * Cases are named `<verb or capability>: <behaviour>`; a `skip` key is either a whole case
 * name or the part before the colon (`subscribe`, `workers`, `schedule`, `fire`, `pause`,
 * `rate`, `concurrency`, `metrics`, …), which skips every case of that capability. Cases pass `now` to
 * the store and never sleep, except that the cases on messages (`subscribe`, and the wake-ups
 * of `fire` and `pause`) wait (at most a few seconds) for messages to travel. Time in the
 * cases starts at `T0`, a 13-digit epoch ms, so stores must keep times exactly. The cases
 * that race two processes (two fires of one schedule, a pause against claims, limits
 * counted across workers) use a second connection when the suite is given `openPeer`.
 *
 * Cases that race two stores on the same data (concurrent adds of one key) open the second
 * through `openPeer`; a store that cannot share its data skips them by name.
 *
 * {@linkcode ManualClock} is re-exported here for tests of code that uses a queue.
 *
 * @module
 */

import type { test as nodeTest } from "node:test";
import type { Store } from "./src/store.ts";
import { addCases } from "./testing/_add_cases.ts";
import { afterCases } from "./testing/_after_cases.ts";
import { byHandCases } from "./testing/_by_hand_cases.ts";
import { capabilityCases } from "./testing/_capability_cases.ts";
import { claimCases } from "./testing/_claim_cases.ts";
import type { StoreCase } from "./testing/_helpers.ts";
import { leaseCases } from "./testing/_lease_cases.ts";
import { limitCases } from "./testing/_limit_cases.ts";
import { logsCases } from "./testing/_logs_cases.ts";
import { metricsCases } from "./testing/_metrics_cases.ts";
import { lifecycleCases } from "./testing/_lifecycle_cases.ts";
import { pauseCases } from "./testing/_pause_cases.ts";
import { readCases } from "./testing/_read_cases.ts";
import { renewLogsCases } from "./testing/_renew_logs_cases.ts";
import { scheduleCases } from "./testing/_schedule_cases.ts";
import { settleCases } from "./testing/_settle_cases.ts";
import { sortCases } from "./testing/_sort_cases.ts";
import { sweepCases } from "./testing/_sweep_cases.ts";

export { ManualClock } from "./src/manual_clock.ts";

const CASES: readonly StoreCase[] = [
  ...addCases,
  ...claimCases,
  ...settleCases,
  ...leaseCases,
  ...readCases,
  ...sortCases,
  ...afterCases,
  ...logsCases,
  ...lifecycleCases,
  ...renewLogsCases,
  ...sweepCases,
  ...byHandCases,
  ...capabilityCases,
  ...scheduleCases,
  ...pauseCases,
  ...limitCases,
  ...metricsCases,
];

/** The name of every conformance case, in the order they run. */
export const STORE_CASE_NAMES: readonly string[] = CASES.map((c) => c.name);

/**
 * The capability groups a store may skip as a whole: the part of a case name before its
 * colon (`add`, `claim`, …, `subscribe`, `workers`, `close`). The groups of wave 2's job
 * lifecycle are `settle result`, `add overrides`, `renew logs`, `remove sweep`, `removeJob`
 * and `promote`. A store that does not skip `remove sweep` must honour `RemoveFilter.before`,
 * `keep` and `limit`: the core runs retention sweeps only on stores with `removeJob`, which
 * therefore must not skip it.
 */
export const STORE_CASE_GROUPS: readonly string[] = [
  ...new Set(CASES.map((c) => c.name.split(":")[0])),
];

/** How {@linkcode testStore} opens and names the store under test. */
export interface TestStoreOptions {
  /** The store's name as tests show it, e.g. `"memory"`. */
  name: string;
  /** Opens a fresh, empty store; called once per case, which closes it afterwards. */
  open: () => Store | Promise<Store>;
  /**
   * Opens a second store on the data of `store` (one `open()` returned: another client of the
   * same file, or of the same server and prefix), as another process would. The cases that
   * need two stores (two adds of one key) fail without it, so a store that cannot share its
   * data (memory) skips them by name; the cases that race two processes (fires of one
   * schedule, pause against claims, limits counted across connections) race calls on the one
   * store without it. Each peer is closed after its case.
   */
  openPeer?: (store: Store) => Store | Promise<Store>;
  /** Case names or capability groups (see {@linkcode STORE_CASE_GROUPS}) → why skipped. */
  skip?: Record<string, string>;
}

/**
 * Registers every conformance case with `test`, each named `<name> store: <case>`.
 *
 * @param test `test` from `node:test` (works under Deno, Bun and Node)
 * @param options the store's name, how to open it, and what to skip
 * @throws {TypeError} when a `skip` key is neither a case name nor a capability group
 *
 * @example Running the suite against the memory store
 * ```ts ignore
 * import { test } from "node:test";
 * import { testStore } from "@kinetik/kinetik/testing";
 * import { MemoryStore } from "@kinetik/kinetik/stores/memory";
 *
 * testStore(test, { name: "memory", open: () => new MemoryStore() });
 * ```
 */
export function testStore(
  test: typeof nodeTest,
  options: TestStoreOptions,
): void {
  const skip = options.skip ?? {};
  for (const key of Object.keys(skip)) {
    if (!STORE_CASE_NAMES.includes(key) && !STORE_CASE_GROUPS.includes(key)) {
      throw new TypeError(
        `Cannot skip a store case as the key must be a case name or one of ${
          STORE_CASE_GROUPS.join(", ")
        }: current value is "${key}"`,
      );
    }
  }
  for (const storeCase of CASES) {
    const reason = skip[storeCase.name] ?? skip[storeCase.name.split(":")[0]];
    test(`${options.name} store: ${storeCase.name}`, { skip: reason }, async () => {
      const store = await options.open();
      const peers: Store[] = [];
      const openPeer = async () => {
        if (!options.openPeer) {
          throw new TypeError(
            `Cannot run "${storeCase.name}" as it needs testStore()'s openPeer, or a skip of the case by name: current value is undefined`,
          );
        }
        const opened = await options.openPeer(store);
        peers.push(opened);
        return opened;
      };
      const peer = () => options.openPeer ? openPeer() : Promise.resolve(store);
      try {
        await storeCase.run(store, { openPeer, peer });
      } finally {
        for (const opened of peers) await opened.close();
        if (!storeCase.closesStore) await store.close();
      }
    });
  }
}
