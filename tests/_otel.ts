/**
 * The OpenTelemetry SDK as an application registers it, once per process: a tracer provider
 * exporting to memory, the AsyncLocalStorage context manager (Deno and Bun both have
 * node:async_hooks) and the W3C trace-context propagator. The API's globals can be set only
 * once, and `bun test` runs every test file in one process, so each otel test file imports
 * this module (evaluated once) instead of registering its own provider, which would be
 * refused after the first and leave that file's exporter empty. @module
 */

import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

/** Every span that ended in this process, until a test resets it. */
export const exporter: InMemorySpanExporter = new InMemorySpanExporter();

api.trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
