/**
 * The `otel()` middleware: OpenTelemetry tracing of job runs, on `@opentelemetry/api` (an
 * optional dependency, imported only when `otel()` is called, so a queue without tracing
 * never loads it).
 *
 * - **At `create()`** the context active in the caller (its current span) is written onto the
 *   job as `job.trace`, through the API's global propagator (W3C `traceparent` and
 *   `tracestate` with the SDK's usual set-up), so it travels with the job to whichever
 *   process runs it.
 * - **At each run** a span `kinetik.run <task>` (kind `CONSUMER`) starts with that context as
 *   its parent (a job without one gets a new trace), is active while the action runs (spans
 *   the action starts are its children), and ends with the run: attributes `kinetik.job.id`,
 *   `kinetik.job.task`, `kinetik.job.attempt`, `kinetik.job.outcome` (plus the messaging
 *   conventions' `messaging.system`, `messaging.operation.type`,
 *   `messaging.destination.name`, `messaging.message.id`), and status `ERROR` with the error's
 *   message when the run failed, timed out or lost its lease.
 *
 * It works through `queue.hook()` (`beforeSave` and `aroundRun`, see `queue_hooks.ts`);
 * exporting the spans is the SDK's business (a tracer provider, a context manager and a
 * propagator registered by the application, e.g. by `@opentelemetry/sdk-node`). @module
 */

import type { Job } from "../job.ts";
import type { Queue } from "../queue.ts";
import type { RunEnd } from "../queue_hooks.ts";
import type { NewJob } from "../store.ts";
import config from "../../deno.json" with { type: "json" };

/** A context of `@opentelemetry/api`, opaque here. */
export type OtelContext = unknown;

/** The few members of a span `otel()` uses. */
export interface OtelSpan {
  /** Sets one attribute. */
  setAttribute(key: string, value: string | number): unknown;
  /** Sets the status (`code` 2 is `ERROR`). */
  setStatus(status: { code: number; message?: string }): unknown;
  /** Ends the span. */
  end(): void;
}

/**
 * The members of the `@opentelemetry/api` module `otel()` uses, spelled out so Kinetik's
 * published types do not depend on the package (the module itself fits: pass
 * `import * as api from "@opentelemetry/api"`).
 */
export interface OtelApi {
  /** The trace API. */
  trace: {
    /** A tracer of the global provider. */
    getTracer(name: string, version?: string): {
      /** Starts a span under `context`. */
      startSpan(
        name: string,
        options: { kind: number; attributes: Record<string, string | number> },
        context: OtelContext,
      ): OtelSpan;
    };
    /** `context` with `span` as its current span. */
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
  };
  /** The context API. */
  context: {
    /** The active context. */
    active(): OtelContext;
    /** Runs `fn` with `context` active. */
    with<T>(context: OtelContext, fn: () => T): T;
  };
  /** The propagation API (the global propagator). */
  propagation: {
    /** Writes `context` into `carrier`. */
    inject(context: OtelContext, carrier: Record<string, string>): void;
    /** Reads a context from `carrier`, over `context`. */
    extract(context: OtelContext, carrier: Record<string, string>): OtelContext;
  };
  /** The empty context. */
  ROOT_CONTEXT: OtelContext;
  /** Span kinds; `CONSUMER` is used. */
  SpanKind: { CONSUMER: number };
  /** Span status codes; `ERROR` is used. */
  SpanStatusCode: { ERROR: number };
}

/** Options of {@linkcode otel}. */
export interface OtelOptions {
  /**
   * The `@opentelemetry/api` module. By default `otel()` imports it; pass the application's
   * own when its copy might differ from the one Kinetik resolves (a different minor version
   * does not see a newer one's global tracer provider).
   */
  api?: OtelApi;
  /**
   * The name of the tracer the spans come from.
   * @default "kinetik"
   */
  tracerName?: string;
}

/** The package `otel()` imports: in a variable, so only calling `otel()` loads it. */
const API_PACKAGE = "@opentelemetry/api";

/** Imports `@opentelemetry/api`, saying how to install it when it is missing. */
async function importApi(): Promise<OtelApi> {
  try {
    return await import(API_PACKAGE) as OtelApi;
  } catch (error) {
    throw new Error(
      `Cannot trace jobs as ${API_PACKAGE} cannot be imported: add it to the application (deno add npm:${API_PACKAGE}, bun add ${API_PACKAGE}) or pass it as otel({ api })`,
      { cause: error },
    );
  }
}

/** The outcomes whose span status is `ERROR`. */
const ERRORS: ReadonlySet<string> = new Set(["failed", "timeout", "retry", "abandoned"]);

/**
 * A plugin that traces every run with OpenTelemetry, each span a child of the context that
 * was active when its job was created (see the module doc for the span's shape). Resolves once
 * `@opentelemetry/api` is loaded; `queue.use(await otel())`.
 *
 * @param options the API module to use, and the tracer's name
 * @returns the plugin
 * @throws {Error} (rejects) when `@opentelemetry/api` cannot be imported and none was given
 * @example Tracing a queue's runs
 * ```ts
 * import { kinetik, otel } from "../../mod.ts";
 *
 * const queue = kinetik();
 * queue.use(await otel()); // spans go to whatever tracer provider the application registered
 * queue.define("send email").action(() => {});
 * await queue.create("send email"); // carries the caller's trace context
 * await queue.close();
 * ```
 */
export async function otel(options: OtelOptions = {}): Promise<(queue: Queue) => void> {
  const api = options.api ?? await importApi();
  const tracer = api.trace.getTracer(options.tracerName ?? "kinetik", config.version);
  return (queue) => {
    queue.hook({
      beforeSave(job: NewJob): NewJob {
        const carrier: Record<string, string> = {};
        api.propagation.inject(api.context.active(), carrier);
        return Object.keys(carrier).length === 0 ? job : { ...job, trace: carrier };
      },
      async aroundRun(job: Job, run: () => Promise<RunEnd>): Promise<void> {
        const parent = job.trace
          ? api.propagation.extract(api.ROOT_CONTEXT, job.trace)
          : api.ROOT_CONTEXT;
        const span = tracer.startSpan(`kinetik.run ${job.task}`, {
          kind: api.SpanKind.CONSUMER,
          attributes: {
            "kinetik.job.id": job.id,
            "kinetik.job.task": job.task,
            "kinetik.job.attempt": job.attempts,
            "messaging.system": "kinetik",
            "messaging.operation.type": "process",
            "messaging.destination.name": job.task,
            "messaging.message.id": job.id,
          },
        }, parent);
        try {
          const end = await api.context.with(api.trace.setSpan(parent, span), run);
          span.setAttribute("kinetik.job.outcome", end.outcome);
          if (ERRORS.has(end.outcome)) {
            span.setStatus({
              code: api.SpanStatusCode.ERROR,
              message: end.error?.message ?? "The lease was lost",
            });
          }
        } finally {
          span.end();
        }
      },
    });
  };
}
