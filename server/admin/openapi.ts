// The OpenAPI description of /admin/api (api.ts): the CLI's operations over HTTP.
import { json, jsonRequest, problem, schemaRef, shared, type ApiDescription, type JsonSchema } from '../http/index.ts';
import { HOST_INPUT } from '../mini_programs/index.ts';
import { ACCOUNT_INPUT, EMAIL_SCHEMA } from '../oidc/index.ts';
import { GROUP_INPUT, seedFileSchema } from './operations.ts';

const security = [{ adminToken: ['admin'] }];
const arrayOf = (name: string) => ({ type: 'array', items: schemaRef(name) });
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const string = { type: 'string' };
const dateTime = { type: 'string', format: 'date-time' };
const object = (required: string[], properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', additionalProperties: false, required, properties });

/** Every admin operation answers these besides its own. */
const COMMON = {
  401: shared('Unauthorized'),
  403: problem(403, 'The token lacks the `admin` scope (`insufficient_scope`)', {
    'WWW-Authenticate': { description: '`Bearer error="insufficient_scope", scope="admin"`', required: true, schema: { type: 'string' } },
  }),
  503: shared('Unavailable'),
};
const WITH_BODY = { 413: shared('PayloadTooLarge'), 415: shared('UnsupportedMediaType') };

function operation(operationId: string, summary: string, responses: Record<string, unknown>, requestBody?: Record<string, unknown>) {
  return { operationId, tags: ['admin'], summary, security, ...(requestBody ? { requestBody } : {}), responses: { ...responses, ...COMMON, ...(requestBody ? WITH_BODY : {}) } };
}

/** The admin API, whose client bodies are what registers a client: `clientInput`, with the fields capabilities define. */
export const adminApiDescription = (clientInput: JsonSchema): ApiDescription => ({
  tags: [{ name: 'admin', description: 'Users, clients, groups, hosts, terminals and keys, for an operator' }],
  securitySchemes: {
    adminToken: {
      type: 'http', scheme: 'bearer', bearerFormat: 'JWT',
      description: 'A client-credentials access token with the `admin` scope (audience `<issuer>/admin/api`), not revoked, of a client that is still registered with that scope. '
        + 'A DPoP-bound one (`cnf.jkt`) is sent as `Authorization: DPoP <token>` with a `DPoP` proof by its key (RFC 9449), as at `/api`.',
    },
  },
  schemas: {
    Account: object(['sub', 'username', 'name', 'created_at'], { sub: string, username: string, name: string, email: EMAIL_SCHEMA, created_at: dateTime }),
    Client: {
      type: 'object', required: ['client_id'], properties: { client_id: string },
      not: { anyOf: [{ required: ['client_secret'] }, { required: ['webhook_secret'] }] },
      description: 'The client\'s metadata as registered; its secrets are never listed',
    },
    NewClient: {
      type: 'object', required: ['client_id'],
      properties: { client_id: string, client_secret: { type: 'string', description: 'Only when Plaza generated it: shown this once' }, webhook_secret: { type: 'string', description: 'Only when Plaza generated it: shown this once' } },
    },
    App: object(['client_id', 'registrar', 'verified', 'suspended'], {
      client_id: string, client_name: string,
      registrar: { enum: ['operator', 'developer'], description: 'Who registered it: the operator, or a developer (console or RFC 7591)' },
      owner: { type: 'string', description: 'The owning developer\'s username' },
      kind: { type: 'string', description: 'The kind chosen in the developer console' },
      verified: { type: 'boolean', description: 'Registered by the operator, or marked verified; users see an "unverified app" notice otherwise' },
      suspended: { type: 'boolean', description: 'Its tokens are refused everywhere and it gets no new ones' },
    }),
    InitialAccessToken: object(['token', 'expires_at'], {
      token: { type: 'string', description: 'Shown this once; registers one client at `/reg` (RFC 7591)' }, expires_at: dateTime, owner: string,
    }),
    Group: object(['id', 'name', 'members'], { id: string, name: string, members: { type: 'array', items: { type: 'string', description: 'A username' } } }),
    Host: object(['id', 'kind', 'platform', 'timeout_ms'], {
      id: string, kind: { enum: ['code2session', 'jwt'] }, platform: string, timeout_ms: { type: 'integer' },
      url: string, app_id: string, issuer: string, jwks_uri: string, audience: string, algorithms: { type: 'array', items: string },
    }),
    Terminal: object(['id', 'client_id', 'app_name', 'jkt', 'user_agent', 'first_seen', 'last_used'], {
      id: string, client_id: string, app_name: string, jkt: { type: 'string', description: 'The DPoP key thumbprint' }, user_agent: string, first_seen: dateTime, last_used: dateTime,
    }),
    SeedFile: seedFileSchema(clientInput),
    SeedSummary: object(['users', 'clients', 'groups', 'hosts'], {
      users: object(['created', 'updated'], { created: { type: 'integer' }, updated: { type: 'integer' } }),
      clients: object(['created', 'updated', 'secrets', 'webhook_secrets'], {
        created: { type: 'integer' }, updated: { type: 'integer' },
        secrets: { type: 'object', additionalProperties: string, description: 'Generated client secrets by client_id, shown this once' },
        webhook_secrets: { type: 'object', additionalProperties: string, description: 'Generated webhook secrets by client_id, shown this once' },
      }),
      groups: { type: 'integer' },
      hosts: { type: 'integer' },
    }),
  },
  paths: {
    '/admin/api/users': {
      get: operation('adminListUsers', 'Every user', { 200: json('The users', arrayOf('Account')) }),
      post: operation('adminCreateUser', 'Creates a user', {
        201: json('The user', schemaRef('Account')), 400: problem(400, 'Bad input, or the user exists already'),
      }, jsonRequest(ACCOUNT_INPUT)),
    },
    '/admin/api/users/{username}/terminals': {
      parameters: [path('username', 'A username')],
      get: operation('adminListTerminals', 'The user\'s terminals (DPoP keys that hold tokens)', {
        200: json('The terminals', arrayOf('Terminal')), 404: problem(404, 'No such user'),
      }),
    },
    '/admin/api/clients': {
      get: operation('adminListClients', 'Every client', { 200: json('The clients', arrayOf('Client')) }),
      post: operation('adminCreateClient', 'Registers a client, or replaces the one with the same client_id', {
        201: json('The client, with the secrets Plaza generated', schemaRef('NewClient')),
        400: problem(400, 'Invalid client metadata (`invalid_client_metadata`), or a body that is not a JSON object'),
      }, jsonRequest(clientInput)),
    },
    '/admin/api/clients/{clientId}': {
      parameters: [path('clientId', 'A client_id')],
      delete: operation('adminRemoveClient', 'Removes the client and revokes every grant it holds', {
        204: { description: 'Removed' }, 404: problem(404, 'No such client'),
      }),
    },
    '/admin/api/apps': {
      get: operation('adminListApps', 'Every client with its owner, whether it is verified and whether it is suspended', { 200: json('The apps', arrayOf('App')) }),
    },
    '/admin/api/clients/{clientId}/suspend': {
      parameters: [path('clientId', 'A client_id')],
      post: operation('adminSuspendClient', 'Suspends the client: every token it holds is refused at once, and it authenticates nowhere', { 204: { description: 'Done' }, 404: problem(404, 'No such client') }),
    },
    '/admin/api/clients/{clientId}/unsuspend': {
      parameters: [path('clientId', 'A client_id')],
      post: operation('adminUnsuspendClient', 'Lifts a suspension', { 204: { description: 'Done' }, 404: problem(404, 'No such client') }),
    },
    '/admin/api/clients/{clientId}/verify': {
      parameters: [path('clientId', 'A client_id')],
      post: operation('adminVerifyClient', 'Marks the client verified: users no longer see the "unverified app" notice', { 204: { description: 'Done' }, 404: problem(404, 'No such client') }),
    },
    '/admin/api/clients/{clientId}/unverify': {
      parameters: [path('clientId', 'A client_id')],
      post: operation('adminUnverifyClient', 'Takes the verified mark back', { 204: { description: 'Done' }, 404: problem(404, 'No such client') }),
    },
    '/admin/api/initial-access-tokens': {
      post: operation('adminCreateInitialAccessToken', 'Creates an RFC 7591 initial access token for one registration, owned by a user when `owner` names one', {
        201: json('The token', schemaRef('InitialAccessToken')), 400: problem(400, 'No such user'),
      }, { ...jsonRequest(object([], { owner: { type: 'string', description: 'The username of the developer who will own the app' } })), required: false }),
    },
    '/admin/api/clients/{clientId}/callback/enable': {
      parameters: [path('clientId', 'A client_id')],
      post: operation('adminEnableCallback', 'Resumes callbacks to the client after one answered 410', {
        200: json('Whether they were disabled', object(['client_id', 'was_disabled'], { client_id: string, was_disabled: { type: 'boolean' } })),
      }),
    },
    '/admin/api/groups': {
      get: operation('adminListGroups', 'Every group with its members', { 200: json('The groups', arrayOf('Group')) }),
      post: operation('adminUpsertGroup', 'Creates or renames a group and adds members', {
        201: json('The group', schemaRef('Group')), 400: problem(400, 'Bad input, or a member who is not a user'),
      }, jsonRequest(GROUP_INPUT)),
    },
    '/admin/api/groups/{id}/members/{username}': {
      parameters: [path('id', 'A group id'), path('username', 'A username')],
      delete: operation('adminRemoveMember', 'Removes a member from a group', {
        204: { description: 'Removed' }, 404: problem(404, 'No such member'),
      }),
    },
    '/admin/api/terminals/{id}': {
      parameters: [path('id', 'A terminal id')],
      delete: operation('adminRevokeTerminal', 'Revokes a terminal and every grant bound to it', {
        204: { description: 'Revoked' }, 404: problem(404, 'No such terminal'),
      }),
    },
    '/admin/api/hosts': {
      get: operation('adminListHosts', 'Every host platform', { 200: json('The hosts', arrayOf('Host')) }),
      post: operation('adminUpsertHost', 'Registers a host platform, or replaces the one with the same id', {
        201: json('The host (its app secret is never shown)', schemaRef('Host')), 400: problem(400, 'Bad input'),
      }, jsonRequest(HOST_INPUT)),
    },
    '/admin/api/keys/rotate': {
      post: operation('adminRotateKeys', 'Puts a new key of each kind in front; running servers sign with them after a restart', {
        200: json('The key ids', object(['added', 'kept'], { added: { type: 'array', items: string }, kept: { type: 'array', items: string } })),
      }),
    },
    '/admin/api/seed': {
      post: operation('adminSeed', 'Loads hosts, users, clients and groups; loading the same file again changes nothing', {
        200: json('What was created or updated', schemaRef('SeedSummary')), 400: problem(400, 'Bad input'),
      }, { ...jsonRequest(schemaRef('SeedFile')), required: false }),
    },
  },
});
