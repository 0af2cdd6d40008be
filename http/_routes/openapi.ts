/**
 * `GET /api/openapi.json`: the OpenAPI document, the one route that needs no token. @module
 */

import type { ApiContext, App } from "../_context.ts";
import { openApiDocument } from "../_openapi/document.ts";

/** The path of the document, which the token check lets through. */
export const OPENAPI_PATH = "/api/openapi.json";

/** Adds the document's route. */
export function openApiRoutes(app: App, context: ApiContext): void {
  const document = openApiDocument(context.basePath);
  app.get(OPENAPI_PATH, (c) => c.json(document));
}
