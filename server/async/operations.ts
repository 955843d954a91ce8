// The operations an app may submit asynchronously, in one table: what each needs, what input it takes, what it
// does. Each is idempotent by job id, so a job run twice after a crash acts once.
import { InputError, schemaRef, type JsonSchema } from '../http/index.ts';
import type { AuditLog, Groups, Messages, Permission } from '../social/index.ts';
import { GROUP_ID, GROUP_ID_SCHEMA, MAX_TEXT, MESSAGE_TEXT_SCHEMA, viewMessage } from '../social/index.ts';

export interface OperationContext {
  jobId: string;
  sub: string;
  clientId: string;
}

export interface AsyncOperation {
  permission: Permission;
  /** What `data` and the job's `result` look like, for the OpenAPI document. */
  data: JsonSchema;
  result: JsonSchema;
  /** Checks `data`; returns the input the job keeps. Must name the group the operation acts in. */
  validate(data: unknown): { group_id: string } & Record<string, unknown>;
  run(ctx: OperationContext, input: Record<string, unknown>): Promise<unknown>;
}

function object(data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new InputError('data must be a JSON object');
  return data as Record<string, unknown>;
}

function groupId(data: Record<string, unknown>): string {
  if (typeof data.group_id !== 'string' || !GROUP_ID.test(data.group_id)) throw new InputError('data.group_id must be a group id');
  return data.group_id;
}

export class OperationFailed extends Error {
  override name = 'OperationFailed';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export function asyncOperations(deps: { groups: Groups; messages: Messages; audit: AuditLog }): Record<string, AsyncOperation> {
  const stillMember = async (ctx: OperationContext, group: string) => {
    if (!await deps.groups.isMember(group, ctx.sub)) throw new OperationFailed('forbidden', `the user is no longer a member of group ${group}`);
  };
  return {
    'messages.post': {
      permission: 'messages:post',
      data: { type: 'object', required: ['group_id', 'text'], properties: { group_id: GROUP_ID_SCHEMA, text: MESSAGE_TEXT_SCHEMA } },
      result: schemaRef('Message'),
      validate(data) {
        const d = object(data);
        if (typeof d.text !== 'string' || !d.text.trim() || d.text.length > MAX_TEXT) throw new InputError(`data.text must be 1 to ${MAX_TEXT} characters`);
        return { group_id: groupId(d), text: d.text };
      },
      async run(ctx, input) {
        await stillMember(ctx, String(input.group_id));
        const message = await deps.messages.post({ id: `job-${ctx.jobId}`, groupId: String(input.group_id), author: ctx.sub, via: ctx.clientId, text: input.text });
        await deps.audit.record({ sub: ctx.sub, via: ctx.clientId, action: 'message.posted', groupId: message.groupId, detail: message.id }, `job-${ctx.jobId}`);
        return viewMessage(message);
      },
    },
    'messages.list': {
      permission: 'messages:read',
      data: { type: 'object', required: ['group_id'], properties: { group_id: GROUP_ID_SCHEMA } },
      result: { type: 'array', items: schemaRef('Message') },
      validate(data) {
        return { group_id: groupId(object(data)) };
      },
      async run(ctx, input) {
        await stillMember(ctx, String(input.group_id));
        return (await deps.messages.list(String(input.group_id))).map(viewMessage);
      },
    },
  };
}
