// The OpenAPI description of the /api routes in api.ts: what each answers, and which scope it needs.
import { json, jsonRequest, locationHeader, problem, schemaRef, shared, type ApiDescription, type JsonSchema } from '../http/index.ts';
import type { Permission } from './grant_check.ts';
import { GROUP_ID_SCHEMA } from './groups.ts';
import { MAX_TEXT, MESSAGE_INPUT_SCHEMA } from './messages.ts';

/** Either scheme carries a user's token; the scope (or an `authorization_details` entry for the group) it needs. */
export function userSecurity(permission?: Permission): Record<string, string[]>[] {
  const scopes = permission ? [permission] : [];
  return [{ userToken: scopes }, { userDpop: scopes }];
}

const forbidden = (what: string, more = '') => problem(403, `The token does not allow ${what} (\`insufficient_scope\`, with a \`WWW-Authenticate\` challenge), or the user is not a member of the group${more} (\`forbidden\`)`, {
  'WWW-Authenticate': { description: 'With `insufficient_scope`: `Bearer error="insufficient_scope"`', required: false, schema: { type: 'string' } },
});

/** Adding and removing apps is the user's own action: through Plaza's pages or a first-party client only. */
const USER_ACTION_ONLY = ', or the token\'s client is a third-party app (only first-party clients add and remove apps), or it names the token\'s own client (no app adds or removes itself)';

const groupId = { name: 'id', in: 'path', required: true, description: 'A group id', schema: GROUP_ID_SCHEMA, example: 'hiking' };
const arrayOf = (name: string) => ({ type: 'array', items: schemaRef(name) });

export function socialApiDescription(options: { grantableActions: string[]; addAppInput: JsonSchema; shareInput: JsonSchema }): ApiDescription {
  return {
    tags: [{ name: 'social', description: 'The signed-in user, their groups, messages and the apps they added to groups' }],
    securitySchemes: {
      userToken: {
        type: 'http', scheme: 'bearer', bearerFormat: 'JWT',
        description: 'A Plaza access token (RFC 9068, `typ: at+jwt`) for the resource `<issuer>/api`, issued to act for a user (authorization code, refresh or token exchange). '
          + 'The scope named on each operation, or an `authorization_details` entry of type `group_messages` naming the group and the action, allows it.',
      },
      userDpop: {
        type: 'http', scheme: 'DPoP',
        description: 'A DPoP-bound Plaza access token (`cnf.jkt`, RFC 9449): `Authorization: DPoP <token>` and a `DPoP` header with a proof by the bound key (`htm`, `htu`, `ath`, and the server nonce when required).',
      },
    },
    schemas: {
      Me: {
        type: 'object', additionalProperties: false, required: ['sub'],
        properties: { sub: { type: 'string', description: 'The calling app\'s own `sub` for the user (pairwise for a third-party app), as in its tokens' }, username: { type: 'string', description: 'Only to a first-party app, or one the user granted the `profile` scope or the `preferred_username` claim' }, name: { type: 'string' } },
      },
      GroupSummary: { type: 'object', additionalProperties: false, required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
      Message: {
        type: 'object', additionalProperties: false, required: ['id', 'group_id', 'author', 'via', 'text', 'created_at'],
        properties: {
          id: { type: 'string' },
          group_id: { type: 'string' },
          author: { type: 'string', description: 'The user who posted it, by the calling app\'s own `sub` for them' },
          via: { type: ['string', 'null'], description: 'The client the user posted it through' },
          text: { type: 'string', minLength: 1, maxLength: MAX_TEXT },
          reply_to: { type: 'string', description: 'The message of the group it answers, when it is a reply' },
          created_at: { type: 'string', format: 'date-time' },
        },
      },
      GroupApp: {
        type: 'object', additionalProperties: false, required: ['group_id', 'client_id', 'client_name', 'actions', 'respond', 'added_at'],
        properties: {
          group_id: { type: 'string' },
          client_id: { type: 'string' },
          client_name: { type: 'string' },
          actions: { type: 'array', items: { enum: options.grantableActions }, description: 'Standing actions: what the app may do here as the user at any time' },
          respond: { type: 'boolean', description: 'Respond when asked: the app\'s triggers (`plaza_triggers`) work in this group, for every member' },
          added_at: { type: 'string', format: 'date-time' },
        },
      },
    },
    paths: {
      '/api/me': {
        get: {
          operationId: 'getMe', tags: ['social'], summary: 'The user the token acts for', security: userSecurity(),
          responses: { 200: json('The user', schemaRef('Me')), 401: shared('Unauthorized'), 503: shared('Unavailable') },
        },
      },
      '/api/groups': {
        get: {
          operationId: 'listGroups', tags: ['social'], summary: 'The groups the user belongs to', security: userSecurity('groups:read'),
          responses: { 200: json('The groups', arrayOf('GroupSummary')), 401: shared('Unauthorized'), 403: forbidden('groups:read'), 503: shared('Unavailable') },
        },
      },
      '/api/groups/{id}/messages': {
        parameters: [groupId],
        get: {
          operationId: 'listMessages', tags: ['social'], summary: 'The group\'s newest messages (at most 50), newest first', security: userSecurity('messages:read'),
          responses: { 200: json('The messages', arrayOf('Message')), 401: shared('Unauthorized'), 403: forbidden('messages:read in this group'), 503: shared('Unavailable') },
        },
        post: {
          operationId: 'postMessage', tags: ['social'], security: userSecurity('messages:post'),
          summary: 'Posts a message as the user, through the token\'s client. A `group_interaction` token (an interaction ticket\'s) may only post replies to its '
            + '`in_reply_to` message, at most `max_uses` times in all. A message the user posts on Plaza or through a first-party client may fire an app\'s '
            + 'command or mention trigger, which sends that app an `interaction.created` webhook.',
          requestBody: jsonRequest(MESSAGE_INPUT_SCHEMA),
          responses: {
            201: json('The message', schemaRef('Message'), { Location: locationHeader('the message') }),
            400: shared('BadRequest'), 401: shared('Unauthorized'),
            403: forbidden('messages:post in this group', ', or an interaction token posts anything but a reply to its message, or after its uses are taken (`insufficient_scope`)'),
            404: problem(404, '`reply_to` names no message of this group'),
            413: shared('PayloadTooLarge'), 415: shared('UnsupportedMediaType'), 503: shared('Unavailable'),
          },
        },
      },
      '/api/groups/{id}/messages/{messageId}': {
        parameters: [groupId, { name: 'messageId', in: 'path', required: true, description: 'A message id, as a post answers it', schema: { type: 'string' } }],
        get: {
          operationId: 'getMessage', tags: ['social'], summary: 'One message of the group (where a post\'s Location points)', security: userSecurity('messages:read'),
          responses: {
            200: json('The message', schemaRef('Message')), 401: shared('Unauthorized'), 403: forbidden('messages:read in this group'),
            404: problem(404, 'No such message in this group'), 503: shared('Unavailable'),
          },
        },
      },
      '/api/groups/{id}/messages/{messageId}/share': {
        parameters: [groupId, { name: 'messageId', in: 'path', required: true, description: 'A message of the group', schema: { type: 'string' } }],
        post: {
          operationId: 'shareMessage', tags: ['social'], security: userSecurity('groups:apps'),
          summary: 'Shares the message with an app that responds in the group and takes shared messages (the `share` trigger): the app receives an '
            + '`interaction.created` webhook with a one-time interaction ticket to answer it. Only a first-party client holds `groups:apps`.',
          requestBody: jsonRequest(options.shareInput),
          responses: {
            204: { description: 'Shared: the app is told through the outbox' },
            400: problem(400, '`invalid_client_id`: the app does not respond in this group or takes no shared messages'),
            401: shared('Unauthorized'), 403: forbidden('groups:apps in this group', ', or the token\'s client is a third-party app'),
            404: problem(404, 'No such message in this group'), 413: shared('PayloadTooLarge'), 415: shared('UnsupportedMediaType'), 503: shared('Unavailable'),
          },
        },
      },
      '/api/groups/{id}/apps': {
        parameters: [groupId],
        get: {
          operationId: 'listGroupApps', tags: ['social'], summary: 'The apps this user added to the group', security: userSecurity('groups:apps'),
          responses: {
            200: json('The apps', arrayOf('GroupApp')), 401: shared('Unauthorized'), 403: forbidden('groups:apps in this group'),
            404: problem(404, 'The group does not exist'), 503: shared('Unavailable'),
          },
        },
        post: {
          operationId: 'addGroupApp', tags: ['social'], security: userSecurity('groups:apps'),
          summary: 'Adds an app to the group: the app receives a one-time action ticket by callback, to exchange for a token limited to this group and these actions. '
            + 'Only a first-party client (`plaza_first_party`) holds `groups:apps`.',
          requestBody: jsonRequest(options.addAppInput),
          responses: {
            201: json('The app in the group', schemaRef('GroupApp')),
            400: problem(400, 'Bad input: `invalid_client_id` (no such client, or it has no `callback_uri`), `invalid_actions`, or a body that is not a JSON object'),
            401: shared('Unauthorized'), 403: forbidden('groups:apps in this group', USER_ACTION_ONLY), 404: problem(404, 'The group does not exist'),
            409: problem(409, '`trigger_conflict`: another app that responds in this group already answers one of this app\'s command or mention names'),
            413: shared('PayloadTooLarge'), 415: shared('UnsupportedMediaType'), 503: shared('Unavailable'),
          },
        },
      },
      '/api/groups/{id}/apps/{clientId}': {
        parameters: [groupId, { name: 'clientId', in: 'path', required: true, schema: { type: 'string' } }],
        delete: {
          operationId: 'removeGroupApp', tags: ['social'], summary: 'Removes the app from the group and revokes every token it got there for this user', security: userSecurity('groups:apps'),
          responses: {
            204: { description: 'Removed' }, 401: shared('Unauthorized'), 403: forbidden('groups:apps in this group', USER_ACTION_ONLY),
            404: problem(404, 'That app is not in this group for this user'), 503: shared('Unavailable'),
          },
        },
      },
    },
  };
}
