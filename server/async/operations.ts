// The operations an app may submit asynchronously, in one table: what each needs, what input it takes, what it
// does. Each is idempotent by job id, so a job run twice after a crash acts once.
import { schemaRef, validator, type ErrorCode, type JsonSchema } from '../http/index.ts';
import type { SubjectView } from '../oidc/index.ts';
import type { AuditLog, Groups, Messages, Permission } from '../social/index.ts';
import { GROUP_ID_SCHEMA, MESSAGE_TEXT_SCHEMA, viewMessage } from '../social/index.ts';

export interface OperationContext {
  jobId: string;
  /** The user's account id. */
  sub: string;
  clientId: string;
  /** How the app knows users: a result names them so. */
  subjectOf: SubjectView;
}

export interface AsyncOperation {
  permission: Permission;
  /** What `data` and the job's `result` look like, for the OpenAPI document; `data` is checked against it too. */
  data: JsonSchema;
  result: JsonSchema;
  /** Checks `data`; returns the input the job keeps. Must name the group the operation acts in. */
  validate(data: unknown): { group_id: string } & Record<string, unknown>;
  run(ctx: OperationContext, input: Record<string, unknown>): Promise<unknown>;
}

/** The job failed for a reason the app can act on; its `code` is from the one union the HTTP errors use. */
export class OperationFailed extends Error {
  override name = 'OperationFailed';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function asyncOperations(deps: { groups: Groups; messages: Messages; audit: AuditLog }): Record<string, AsyncOperation> {
  const stillMember = async (ctx: OperationContext, group: string) => {
    if (!await deps.groups.isMember(group, ctx.sub)) throw new OperationFailed('forbidden', `the user is no longer a member of group ${group}`);
  };
  const postData = { type: 'object', required: ['group_id', 'text'], properties: { group_id: GROUP_ID_SCHEMA, text: MESSAGE_TEXT_SCHEMA } };
  const checkPost = validator<{ group_id: string; text: string }>(postData, { where: 'data' });
  const listData = { type: 'object', required: ['group_id'], properties: { group_id: GROUP_ID_SCHEMA } };
  const checkList = validator<{ group_id: string }>(listData, { where: 'data' });
  return {
    'messages.post': {
      permission: 'messages:post',
      data: postData,
      result: schemaRef('Message'),
      validate(data) {
        const { group_id, text } = checkPost(data);
        return { group_id, text };
      },
      async run(ctx, input) {
        await stillMember(ctx, String(input.group_id));
        const message = await deps.messages.post({ id: `job-${ctx.jobId}`, groupId: String(input.group_id), author: ctx.sub, via: ctx.clientId, text: input.text });
        await deps.audit.record({ sub: ctx.sub, via: ctx.clientId, action: 'message.posted', groupId: message.groupId, detail: message.id }, `job-${ctx.jobId}`);
        return viewMessage(message, ctx.subjectOf);
      },
    },
    'messages.list': {
      permission: 'messages:read',
      data: listData,
      result: { type: 'array', items: schemaRef('Message') },
      validate(data) {
        return { group_id: checkList(data).group_id };
      },
      async run(ctx, input) {
        await stillMember(ctx, String(input.group_id));
        return (await deps.messages.list(String(input.group_id))).map((m) => viewMessage(m, ctx.subjectOf));
      },
    },
  };
}
