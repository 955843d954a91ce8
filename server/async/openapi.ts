// The OpenAPI description of /api/async (api.ts), built from the operations table so that it names every operation.
import { json, locationHeader, problem, schemaRef, shared, type ApiDescription } from '../http/index.ts';
import { userSecurity } from '../social/index.ts';
import { ENC_ALGS, KEY_ALGS, MAX_BODY } from './api.ts';
import type { AsyncOperation } from './operations.ts';

const JOB_STATES = ['queued', 'running', 'succeeded', 'failed'];
const COMPACT_JWE = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';

const jobId = { name: 'id', in: 'path', required: true, description: 'The `job_id` of a job this client submitted for this user', schema: { type: 'string' } };

export function asyncApiDescription(operations: Record<string, AsyncOperation>): ApiDescription {
  const names = Object.keys(operations);
  return {
    tags: [{ name: 'async', description: 'Encrypted requests, answered by a signed callback; their jobs' }],
    schemas: {
      AsyncRequest: {
        description: 'The plaintext of the JWE sent to `POST /api/async`',
        type: 'object', required: ['api', 'user', 'format', 'data'],
        properties: {
          api: { enum: names },
          user: { type: 'string', description: 'The `sub` of the access token: the app\'s own id for the user (another app\'s is refused)' },
          format: { const: 'json' },
          data: { description: 'The operation\'s input' },
        },
        allOf: names.map((name) => ({ if: { properties: { api: { const: name } } }, then: { properties: { data: operations[name].data } } })),
      },
      JobAccepted: {
        type: 'object', additionalProperties: false, required: ['job_id', 'status_url', 'state'],
        properties: { job_id: { type: 'string' }, status_url: { type: 'string', format: 'uri' }, state: { enum: JOB_STATES } },
      },
      Job: {
        type: 'object', additionalProperties: false, required: ['job_id', 'api', 'state', 'status_url', 'created_at', 'deliveries'],
        properties: {
          job_id: { type: 'string' },
          api: { enum: names },
          state: { enum: JOB_STATES },
          status_url: { type: 'string', format: 'uri' },
          created_at: { type: 'string', format: 'date-time' },
          finished_at: { type: 'string', format: 'date-time' },
          result: { description: 'Once `succeeded`: what the operation answered' },
          error: {
            type: 'object', additionalProperties: false, required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
          deliveries: { type: 'array', items: schemaRef('Delivery') },
        },
        allOf: names.map((name) => ({ if: { properties: { api: { const: name } } }, then: { properties: { result: operations[name].result } } })),
      },
      Delivery: {
        type: 'object', additionalProperties: false, required: ['webhook_id', 'state', 'attempts'],
        properties: {
          webhook_id: { type: 'string', description: 'The `webhook-id` every attempt carries' },
          state: { enum: ['pending', 'delivered', 'dead', 'disabled'] },
          attempts: {
            type: 'array',
            items: {
              type: 'object', additionalProperties: false, required: ['at'],
              properties: { at: { type: 'string', format: 'date-time' }, status: { type: 'integer' }, error: { type: 'string' } },
            },
          },
        },
      },
    },
    paths: {
      '/api/async': {
        post: {
          operationId: 'submitAsync', tags: ['async'], security: userSecurity(),
          summary: 'Queues an encrypted request; the result comes back by callback',
          description: `The body is a compact JWE to one of Plaza's \`use: enc\` keys (its \`kid\`; \`alg\` ${KEY_ALGS.join(', ')}; \`enc\` ${ENC_ALGS.join(', ')}) `
            + 'whose plaintext is an `AsyncRequest`. The operation needs the same scope or `authorization_details` as its synchronous counterpart: '
            + names.map((name) => `\`${name}\` needs \`${operations[name].permission}\``).join(', ') + '.',
          parameters: [{
            name: 'Idempotency-Key', in: 'header', required: false, description: 'A retried submit with the same key returns the same job',
            schema: { type: 'string', maxLength: 255 },
          }],
          requestBody: {
            required: true,
            content: { 'application/jose': { schema: { type: 'string', pattern: COMPACT_JWE, maxLength: MAX_BODY } } },
          },
          responses: {
            202: {
              ...json('Queued (or, with a known `Idempotency-Key`, the job it started)', schemaRef('JobAccepted'), { Location: locationHeader('the job\'s status') }),
              links: {
                getJob: { operationId: 'getJob', parameters: { id: '$response.body#/job_id' } },
                redeliverJob: { operationId: 'redeliverJob', parameters: { id: '$response.body#/job_id' } },
              },
            },
            400: problem(400, 'Not a JWE to a current Plaza key (`invalid_request`), an unknown `api` (`unknown_api`), another `format`, `data` that does not fit, or an `Idempotency-Key` over 255 characters'),
            401: shared('Unauthorized'),
            403: problem(403, '`user` is not the token\'s subject (`user_mismatch`), the token does not allow the operation (`insufficient_scope`), or the user is not a member of the group (`forbidden`)', {
              'WWW-Authenticate': { description: 'With `insufficient_scope`', required: false, schema: { type: 'string' } },
            }),
            409: problem(409, 'This `Idempotency-Key` was already used for another request'),
            413: shared('PayloadTooLarge'),
            415: problem(415, 'The body is not sent as `application/jose`'),
            503: shared('Unavailable'),
          },
        },
      },
      '/api/async/jobs/{id}': {
        parameters: [jobId],
        get: {
          operationId: 'getJob', tags: ['async'], summary: 'A job\'s state, result or error, and its callback deliveries', security: userSecurity(),
          responses: { 200: json('The job', schemaRef('Job')), 401: shared('Unauthorized'), 404: problem(404, 'No such job (or another client\'s or user\'s)'), 503: shared('Unavailable') },
        },
      },
      '/api/async/jobs/{id}/redeliver': {
        parameters: [jobId],
        post: {
          operationId: 'redeliverJob', tags: ['async'], security: userSecurity(),
          summary: 'Sends the finished job\'s callback again, and re-enables the client\'s callbacks after a `410`',
          responses: {
            202: json('The callback is queued again', schemaRef('Job')), 401: shared('Unauthorized'), 404: problem(404, 'No such job (or another client\'s or user\'s)'),
            409: problem(409, 'The job has not finished, or its callback is not queued yet'), 503: shared('Unavailable'),
          },
        },
      },
    },
  };
}
