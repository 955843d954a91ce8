// Interactions: a member's message or share in a group is one of the predetermined operations for an app that
// responds there. Plaza has stored the message; it mints a one-time interaction ticket and sends the app an
// `interaction.created` event through the durable outbox, as Slack sends a slash command and Discord an interaction.
import type { CallbackQueue } from '../async/index.ts';
import { HttpError, validator, type JsonSchema } from '../http/index.ts';
import { isFirstParty, type Oidc } from '../oidc/index.ts';
import { ForbiddenError, viewMessage, type AuditLog, type Groups, type Message, type Messages, type ShareTarget } from '../social/index.ts';
import type { GroupApps } from './group_apps.ts';
import { MESSAGE_OPERATIONS, OPERATIONS, type Fired, type Occasion, type PredeterminedOperation } from './operations.ts';
import type { ActionTickets } from './tickets.ts';
import { triggersOf } from './triggers.ts';

export interface InteractionsDeps {
  oidc: Pick<Oidc, 'clients' | 'subjects'>;
  groups: Groups;
  messages: Messages;
  audit: AuditLog;
  apps: GroupApps;
  tickets: ActionTickets;
  callbacks: CallbackQueue;
}

/** Sharing a message with an app: the OpenAPI document prints this, and `share` checks what it is given against it. */
export const SHARE_INPUT: JsonSchema = {
  type: 'object', required: ['client_id'],
  properties: { client_id: { type: 'string', minLength: 1, description: 'An app that responds in the group and takes shared messages' } },
  examples: [{ client_id: 'weather' }],
};
const checkShare = validator<{ client_id: string }>(SHARE_INPUT, { code: 'invalid_client_id' });

export class Interactions {
  readonly #deps: InteractionsDeps;
  readonly shareInput = SHARE_INPUT;

  constructor(deps: InteractionsDeps) {
    this.#deps = deps;
  }

  /**
   * A message was stored. Only what the user posts themselves, on Plaza or through a first-party app, is an
   * operation: an app posting as the user must not make another app act as them.
   */
  async messagePosted(message: Message): Promise<void> {
    if (message.via !== null && !isFirstParty(await this.#deps.oidc.clients.get(message.via))) return;
    const occasion: Occasion = { kind: 'message', text: message.text };
    const answered = new Set<string>();
    for (const clientId of await this.#deps.apps.respondersIn(message.groupId)) {
      const triggers = triggersOf(await this.#deps.oidc.clients.get(clientId));
      for (const operation of MESSAGE_OPERATIONS) {
        const fired = operation.condition(occasion, triggers);
        // A name two apps claim (one registered it after the other was let in) goes to the app let in first.
        const name = fired && `${fired.trigger?.type}:${fired.trigger?.name}`;
        if (!fired || answered.has(name!)) continue;
        answered.add(name!);
        // A suspended app gets nothing new, as when a member adds it; its names stay its own meanwhile.
        if (!await this.#deps.oidc.clients.isSuspended(clientId)) await this.#grant(operation, fired, { sub: message.author, clientId, message, via: message.via });
        break;
      }
    }
  }

  /** The member shares a message of the group with an app that responds there and takes shared messages. */
  async share(input: { sub: string; groupId: string; messageId: string; clientId: unknown; via: string | null }): Promise<void> {
    const { groups, messages, apps, oidc } = this.#deps;
    if (input.via !== null && !isFirstParty(await oidc.clients.get(input.via))) {
      throw new ForbiddenError('only Plaza and its first-party apps may share messages with apps');
    }
    if (!await groups.isMember(input.groupId, input.sub)) throw new ForbiddenError(`you are not a member of group ${input.groupId}`);
    const message = await messages.get(input.groupId, input.messageId);
    if (!message) throw new HttpError(404, 'no such message in this group');
    const { client_id: clientId } = checkShare({ client_id: input.clientId });
    const fired = (await apps.respondersIn(input.groupId)).includes(clientId) && !await this.#deps.oidc.clients.isSuspended(clientId)
      ? OPERATIONS.share.condition({ kind: 'share' }, triggersOf(await oidc.clients.get(clientId)))
      : undefined;
    if (!fired) throw new HttpError(400, `${clientId} does not take shared messages in this group`, { code: 'invalid_client_id' });
    await this.#grant(OPERATIONS.share, fired, { sub: input.sub, clientId, message, via: input.via });
  }

  /** The apps that take shared messages in the group. */
  async shareTargets(groupId: string): Promise<ShareTarget[]> {
    const targets = [];
    for (const clientId of await this.#deps.apps.respondersIn(groupId)) {
      if (await this.#deps.oidc.clients.isSuspended(clientId)) continue;
      const client = await this.#deps.oidc.clients.get(clientId);
      if (OPERATIONS.share.condition({ kind: 'share' }, triggersOf(client))) targets.push({ client_id: clientId, client_name: String(client?.client_name ?? clientId) });
    }
    return targets;
  }

  async #grant(operation: PredeterminedOperation, fired: Fired, at: { sub: string; clientId: string; message: Message; via: string | null }): Promise<void> {
    const { tickets, callbacks, audit, groups } = this.#deps;
    const { message } = at;
    const { ticket, expiresAt } = await tickets.mint({
      operation: operation.name, sub: at.sub, clientId: at.clientId, groupId: message.groupId, actions: fired.actions, inReplyTo: message.id,
    });
    const group = await groups.get(message.groupId);
    const subjectOf = await this.#deps.oidc.subjects.viewOf(at.clientId);
    await audit.record({
      sub: at.sub, via: at.via, action: 'interaction.created', groupId: message.groupId,
      detail: `${at.clientId}: ${operation.name}${fired.trigger?.name ? ` ${fired.trigger.name}` : ''}, answering ${message.id}`,
    });
    await callbacks.enqueue({
      clientId: at.clientId, type: 'interaction.created',
      data: {
        ticket, expires_at: new Date(expiresAt).toISOString(), trigger: fired.trigger, arguments: fired.arguments ?? '',
        message: viewMessage(message, subjectOf), group: { id: message.groupId, name: group?.name ?? message.groupId }, user: subjectOf(at.sub), actions: fired.actions,
      },
    });
  }
}
