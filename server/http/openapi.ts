// The OpenAPI 3.1 document of Plaza's JSON APIs. Each capability describes its own operations as plain data;
// this module holds what they share (problem documents, common answers) and serves the whole document.
import Router from '@koa/router';
import { API_DOCS_PATH, apiDocsPage } from './api_docs.ts';

export type JsonSchema = Record<string, unknown>;
type Item = Record<string, unknown>;

/** One capability's part of the document. */
export interface ApiDescription {
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, unknown>>;
  schemas?: Record<string, JsonSchema>;
  securitySchemes?: Record<string, Item>;
}

const OPENAPI_PATH = '/api/openapi.json';

/** RFC 9457, as `problemJson` writes it: every error of a JSON API. */
const PROBLEM: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'title', 'status'],
  properties: {
    type: { const: 'about:blank' },
    title: { type: 'string', description: 'The reason phrase of the status' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'What was wrong, for a person' },
    code: { type: 'string', description: 'A machine-readable reason (the OAuth or RFC 6750 error code where there is one)' },
  },
};

export const schemaRef = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const header = (description: string, required = false): Item => ({ description, required, schema: { type: 'string' } });

export const locationHeader = (what: string): Item => header(`The URL of ${what}`, true);

/** A problem document with this status; `headers` are response header objects by name. */
export function problem(status: number, description: string, headers?: Record<string, Item>): Item {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/problem+json': { schema: { allOf: [schemaRef('Problem')], properties: { status: { const: status } } } } },
  };
}

/** A JSON answer. */
export function json(description: string, schema: JsonSchema, headers?: Record<string, Item>): Item {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } };
}

export const jsonRequest = (schema: JsonSchema, description?: string): Item => ({
  required: true, ...(description ? { description } : {}), content: { 'application/json': { schema } },
});

const SHARED_RESPONSES = {
  BadRequest: problem(400, 'The request is malformed or its input is invalid (JSON that does not parse, a body that is not an object, a field that does not fit)'),
  Unauthorized: problem(401, 'No usable access token: missing or malformed `Authorization` (code `invalid_request`), an invalid, expired, revoked or wrong-audience token (`invalid_token`), or a DPoP-bound token without a valid proof (`invalid_dpop_proof`, `use_dpop_nonce`)', {
    'WWW-Authenticate': header('The RFC 6750 / RFC 9449 challenge, e.g. `Bearer error="invalid_token", error_description="..."`', true),
    'DPoP-Nonce': header('With `use_dpop_nonce`: the nonce the next proof must carry'),
  }),
  PayloadTooLarge: problem(413, 'The request body is too large'),
  UnsupportedMediaType: problem(415, 'The request body is sent in a media type, charset or content encoding this operation does not read'),
  Unavailable: problem(503, 'The store cannot be reached; try again later'),
};

type SharedResponse = keyof typeof SHARED_RESPONSES;

export const shared = (name: SharedResponse): Item => ({ $ref: `#/components/responses/${name}` });

/** The whole document; the issuer is the server every path is relative to. */
export function openApiDocument(issuer: string, parts: ApiDescription[]): Item {
  const merge = <T>(pick: (p: ApiDescription) => Record<string, T> | undefined) => Object.assign({}, ...parts.map((p) => pick(p) ?? {})) as Record<string, T>;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Plaza API',
      version: '1',
      description: 'The protected social API (`/api`), encrypted asynchronous calls (`/api/async`) and the admin API (`/admin/api`). '
        + 'Every error is an RFC 9457 problem document (`application/problem+json`); a method a path does not have is a `405` with `Allow`, '
        + 'and a path that does not exist a `404`. Tokens come from the issuer\'s token endpoint (see its discovery document).',
    },
    servers: [{ url: issuer }],
    tags: [{ name: 'meta', description: 'This document' }, ...parts.flatMap((p) => p.tags)],
    paths: {
      [OPENAPI_PATH]: {
        get: {
          operationId: 'getOpenApiDocument', tags: ['meta'], summary: 'This OpenAPI document', security: [],
          responses: { 200: { description: 'The document', content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'paths'] } } } } },
        },
      },
      ...merge((p) => p.paths),
    },
    components: {
      schemas: { Problem: PROBLEM, ...merge((p) => p.schemas) },
      responses: SHARED_RESPONSES,
      securitySchemes: merge((p) => p.securitySchemes),
    },
  };
}

/** Serves the document, and the reference page rendered from it, without authentication, under the API it describes. */
export function openApiRoutes(document: Item): Router {
  const body = JSON.stringify(document);
  const page = apiDocsPage(OPENAPI_PATH);
  return new Router()
    .get(OPENAPI_PATH, (ctx) => {
      ctx.type = 'application/json';
      ctx.body = body;
    })
    .get(API_DOCS_PATH, (ctx) => {
      ctx.type = 'text/html';
      ctx.body = page;
    });
}
