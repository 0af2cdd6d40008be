/**
 * The dashboard's routes in the API's Hono app: its page at `/` and its files at
 * `/dashboard/*`, behind the same host and origin checks as the API. The page and its files
 * hold no job data, so they need no token; every API call the page makes does. @module
 */

import type { Context } from "hono";
import type { ApiContext, App } from "../_context.ts";
import { ASSET_PREFIX, dashboardHandler } from "./dashboard_handler.ts";

/** Adds the dashboard's routes. */
export function dashboardRoutes(app: App, context: ApiContext, isReadOnly: boolean): void {
  const dashboard = dashboardHandler({
    basePath: context.basePath,
    readOnly: isReadOnly,
    heartbeatMs: context.heartbeatMs,
  });
  const serve = async (c: Context) => (await dashboard(c.req.raw)) ?? c.notFound();
  app.get("/", serve);
  app.get(`${ASSET_PREFIX}*`, serve);
}
