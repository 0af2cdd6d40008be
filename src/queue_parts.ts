/**
 * The parts a queue is made of — task registry, event bus, waiters, job writer, control half,
 * retention sweeper, metrics recorder, plugin hooks and the host its processors run in —
 * built and wired to each other in one place, so `queue.ts` holds the public API and this
 * file the plumbing between the parts. @module
 */

import type { Emitter } from "./emitter.ts";
import { EventBus } from "./event_bus.ts";
import type { JobRun } from "./job_run.ts";
import { JobWriter } from "./job_writer.ts";
import { MetricsRecorder } from "./metrics_recorder.ts";
import type { ProcessorHost } from "./processor_host.ts";
import { HookChain } from "./queue_hooks.ts";
import type { LifecycleHost } from "./queue_lifecycle.ts";
import { QueueControl } from "./queue_control.ts";
import type { QueueEvents } from "./queue_events.ts";
import type { QueueSettings } from "./queue_options.ts";
import { Sweeper } from "./retention.ts";
import type { Store } from "./store.ts";
import { TaskRegistry } from "./task_registry.ts";
import { JobWaiters } from "./wait.ts";

/** A queue's parts. */
export interface QueueParts {
  registry: TaskRegistry;
  bus: EventBus;
  waiters: JobWaiters;
  writer: JobWriter;
  control: QueueControl;
  sweeper: Sweeper;
  metrics: MetricsRecorder;
  hooks: HookChain;
  /** What processors and the lifecycle verbs get from the queue. */
  host: ProcessorHost & LifecycleHost;
}

/** What the parts need from the queue that owns them. */
export interface QueueOwner {
  /** The queue itself, for its events (`stalled`, `job:define`, `drain`). */
  emitter: Emitter<QueueEvents>;
  store: Store;
  settings: QueueSettings;
  /** The runs of this process by job id, so a cancel can abort one. */
  runs: Map<string, JobRun>;
  /** Wakes the queue's processors that handle `task` (all without one). */
  wake(task?: string): void;
  reportError(error: unknown): void;
}

/** Builds a queue's parts on its store and wires them together. */
export function assembleQueue(owner: QueueOwner): QueueParts {
  const { emitter, store, settings, runs } = owner;
  const { clock, interval } = settings;
  const reportError = (error: unknown) => owner.reportError(error);
  // The parts refer to each other; each closure reads `parts` only once all are built.
  const parts = {} as QueueParts;
  parts.registry = new TaskRegistry({
    reportError,
    openEvents: (task) => parts.bus.open({ task }),
    listening: () => parts.bus.connect(),
  });
  parts.bus = new EventBus(store, {
    // A job event goes to its task (under the seed's names) and to queue listeners.
    dispatch: (event, error) => {
      if (event.type === "stalled") emitter.emit("stalled", event.job);
      parts.registry.dispatch(event, error);
    },
    wake: (task) => parts.control.woken(task),
    cancel: (id) => {
      runs.get(id)?.abort("cancel");
      parts.waiters.nudge(id);
    },
    emitted: (event) => parts.control.observe(event),
    reportError,
  });
  parts.waiters = new JobWaiters({
    clock,
    interval,
    get: (id) => store.get(id),
    events: (id) => parts.bus.open({ id }),
  });
  parts.writer = new JobWriter(store, {
    saved: (job) => {
      emitter.emit("job:define", job);
      parts.bus.emit({ type: "created", job, time: clock.now() });
    },
    wake: (task) => owner.wake(task),
    drain: () => emitter.emit("drain"),
  });
  parts.control = new QueueControl(store, clock, parts.bus, {
    wake: (task) => owner.wake(task),
    saved: (jobs) => parts.writer.announce(jobs),
    concurrencyOf: (task) => parts.registry.tasks.get(task)?.settings.concurrency,
    reportError,
  });
  parts.sweeper = new Sweeper(store, settings.retention, { clock, interval, reportError });
  parts.metrics = new MetricsRecorder(store, clock, reportError);
  parts.hooks = new HookChain(reportError);
  parts.host = {
    store,
    clock,
    plan: (tags) => parts.registry.plan(tags),
    emitEvent: (event, error) => parts.bus.emit(event, error),
    emit: (event) => parts.bus.emit(event),
    emitEmpty: (tags) => emitter.emit("empty", tags),
    reportError,
    runs,
    sweep: () => parts.sweeper.sweep(),
    sweepDue: (now) => parts.sweeper.due(now),
    abortRun: (id) => runs.get(id)?.abort("cancel"),
    wake: (task) => owner.wake(task),
    publish: (message) => parts.bus.publish(message),
    nudge: (id) => parts.waiters.nudge(id),
    stopped: () => parts.control.processorStopped(),
    metrics: parts.metrics,
    hooks: parts.hooks,
  };
  return parts;
}
