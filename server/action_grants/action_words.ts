// An action in words, with the group's name, in the reader's language ("Post messages in Weekend Hiking as you"),
// and an interaction grant the same way ("Answer your /weather command in Weekend Hiking: up to 5 replies, until 14:05 UTC").
import { isMessageKey, type Translate } from '../http/index.ts';
import type { OperationName } from './operations.ts';

export function describeAction(action: string, group: string, t: Translate): string {
  const key = `action.${action}`;
  return isMessageKey(key) ? t(key, { group }) : `${action} (${group})`;
}

export interface InteractionTerms {
  operation?: OperationName;
  /** The command's name, when the operation was a command whose message still exists. */
  command?: string;
  group: string;
  maxUses: number;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const clock = (epochMs: number) => `${new Date(epochMs).toISOString().slice(11, 16)} UTC`;

export function describeInteraction(terms: InteractionTerms, t: Translate): string {
  const params = { group: terms.group, uses: terms.maxUses, until: clock(terms.expiresAt), command: terms.command ?? '' };
  if (terms.operation === 'command' && terms.command) return t('interaction.command', params);
  if (terms.operation === 'mention') return t('interaction.mention', params);
  if (terms.operation === 'share') return t('interaction.share', params);
  return t('interaction.message', params);
}
