// The predetermined operations: what a user does in a group that grants an app a token to act as them. Each entry
// is the operation, the condition under which it grants, and what it grants (where, which actions, how long, how
// many uses). Adding an app is one entry; the interaction triggers (command, mention, share) are the others. A new
// kind of operation is one more entry here.
import { commandIn, mentions, type Triggers } from './triggers.ts';

export const ACTION_TICKET_TYPE = 'urn:plaza:token-type:action-ticket';
export const INTERACTION_TICKET_TYPE = 'urn:plaza:token-type:interaction-ticket';

export type OperationName = 'app.added' | 'command' | 'mention' | 'share';

/** What the user did, as the operations see it. */
export type Occasion =
  | { kind: 'app.added'; actions: string[] }
  | { kind: 'message'; text: string }
  | { kind: 'share' };

/** The trigger that fired, as the app is told it. */
export interface Fired {
  trigger?: { type: OperationName; name?: string };
  /** What followed the command, or the whole message for a mention. */
  arguments?: string;
  actions: string[];
}

export interface OperationSettings {
  actionTicketTtl: number;
  interactionTicketTtl: number;
  interactionTokenTtl: number;
  interactionMaxUses: number;
}

/** What an operation grants: its ticket and the token that ticket is exchanged for. */
export interface Grants {
  /** The whole group (standing actions), or the one message the operation is about (an interaction). */
  scope: 'group' | 'message';
  ticketType: string;
  /** The Standard Webhooks event that carries the ticket. */
  event: 'action.granted' | 'interaction.created';
  ticketTtl: number;
  /** Seconds; none: the API's default lifetime, renewed by a refresh token. */
  tokenTtl?: number;
  /** How many requests the token may make in all; none: no count. */
  maxUses?: number;
}

export interface PredeterminedOperation {
  name: OperationName;
  /** When the occasion, with the app's triggers, is this operation: what fired, or undefined. */
  condition(occasion: Occasion, triggers: Triggers): Fired | undefined;
  grants(settings: OperationSettings): Grants;
}

const standing = (s: OperationSettings): Grants => ({ scope: 'group', ticketType: ACTION_TICKET_TYPE, event: 'action.granted', ticketTtl: s.actionTicketTtl });
const interaction = (s: OperationSettings): Grants => ({
  scope: 'message', ticketType: INTERACTION_TICKET_TYPE, event: 'interaction.created',
  ticketTtl: s.interactionTicketTtl, tokenTtl: s.interactionTokenTtl, maxUses: s.interactionMaxUses,
});

export const OPERATIONS: Record<OperationName, PredeterminedOperation> = {
  // A member adds the app to a group with standing actions.
  'app.added': {
    name: 'app.added',
    condition: (o) => (o.kind === 'app.added' && o.actions.length ? { actions: o.actions } : undefined),
    grants: standing,
  },
  // `/name arguments` at the start of a member's message, for a command the app declared.
  command: {
    name: 'command',
    condition(o, triggers) {
      const command = o.kind === 'message' ? commandIn(o.text) : undefined;
      const declared = command && triggers.commands?.find((c) => c.name === command.name);
      return declared && { trigger: { type: 'command', name: declared.name }, arguments: command.args, actions: declared.actions };
    },
    grants: interaction,
  },
  // `@name` in a member's message, for the mention name the app declared.
  mention: {
    name: 'mention',
    condition: (o, triggers) => (o.kind === 'message' && triggers.mention && mentions(o.text, triggers.mention.name)
      ? { trigger: { type: 'mention', name: triggers.mention.name }, arguments: o.text, actions: triggers.mention.actions }
      : undefined),
    grants: interaction,
  },
  // A member shares a message with an app that takes shared messages.
  share: {
    name: 'share',
    condition: (o, triggers) => (o.kind === 'share' && triggers.share ? { trigger: { type: 'share' }, actions: triggers.share.actions } : undefined),
    grants: interaction,
  },
};

/** The operations a message can be: the message triggers, in the order they are tried. */
export const MESSAGE_OPERATIONS = [OPERATIONS.command, OPERATIONS.mention];
