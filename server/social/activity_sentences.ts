// An activity entry as a sentence: "Weather Bot posted “Sunny tomorrow” in Weekend Hiking as you".
import type { MessageKey, Translate } from '../http/index.ts';
import type { AuditEntry } from './audit.ts';

export interface Names {
  app(clientId: string): Promise<string>;
  group(groupId: string): Promise<string | undefined>;
  /** The text of a message, while it exists. */
  message(groupId: string, id: string): Promise<string | undefined>;
}

export interface Sentence {
  text: string;
  /** Where the thing it speaks of can be seen. */
  link?: string;
}

const PREVIEW = 80;

/** The app an entry names in its detail: "poster", "poster (access revoked)", or "Poster App: messages:post". */
function detailApp(detail: string | undefined): string {
  return (detail ?? '').split(' ')[0] ?? '';
}

/** A message's text, shortened, and where to see it, while it exists. */
async function quoteIn(names: Names, groupId: string | undefined, messageId: string | undefined) {
  const text = groupId && messageId ? await names.message(groupId, messageId) : undefined;
  if (text === undefined) return undefined;
  return { text: text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text, link: `/groups/${encodeURIComponent(groupId!)}#m-${encodeURIComponent(messageId!)}` };
}

export async function sentenceOf(entry: AuditEntry, names: Names, t: Translate): Promise<Sentence> {
  const group = entry.groupId ? await names.group(entry.groupId) ?? entry.groupId : t('act.unknown_group');
  const app = entry.via ? await names.app(entry.via) : '';
  const say = (key: MessageKey, params: Record<string, string> = {}) => t(key, { app, group, ...params });
  const quote = (groupId: string | undefined, messageId: string | undefined) => quoteIn(names, groupId, messageId);
  switch (entry.action) {
    case 'message.posted': {
      const quoted = await quote(entry.groupId, entry.detail);
      if (!quoted) return { text: say('act.message.posted.gone') };
      return { text: say(entry.via ? 'act.message.posted.app' : 'act.message.posted.you', { text: quoted.text }), link: quoted.link };
    }
    case 'app.added': {
      const detail = entry.detail ?? '';
      const added = detail.includes(': ') ? detail.slice(0, detail.lastIndexOf(': ')) : detail;
      return { text: entry.via ? say('act.app.added.via', { via: app, app: added }) : say('act.app.added', { app: added }) };
    }
    case 'app.removed': return { text: say('act.app.removed', { app: await names.app(detailApp(entry.detail)) }) };
    case 'app.token_issued': return { text: say('act.app.token_issued') };
    case 'interaction.created': {
      // "weather: command weather, answering <message id>"
      const [, clientId = '', operation = '', trigger = '', messageId = ''] = /^(\S+): (\S+)(?: (\S+))?, answering (\S+)$/.exec(entry.detail ?? '') ?? [];
      const asked = await names.app(clientId);
      const quoted = await quote(entry.groupId, messageId);
      if (!quoted) return { text: say('act.interaction.gone', { app: asked }) };
      const key = operation === 'command' ? 'act.interaction.command' : operation === 'mention' ? 'act.interaction.mention' : 'act.interaction.share';
      return { text: say(key, { app: asked, command: trigger, text: quoted.text }), link: quoted.link };
    }
    case 'interaction.token_issued': {
      const uses = /, (\d+) uses$/.exec(entry.detail ?? '')?.[1] ?? '?';
      return { text: say('act.interaction.token_issued', { uses }) };
    }
    case 'interaction.replied': {
      // "<reply id>, answering <message id> (use 1 of 5)"
      const [, replyId = '', use = '?', max = '?'] = /^(\S+), answering \S+ \(use (\d+) of (\d+)\)$/.exec(entry.detail ?? '') ?? [];
      const quoted = await quote(entry.groupId, replyId);
      return quoted
        ? { text: say('act.interaction.replied', { text: quoted.text, use, max }), link: quoted.link }
        : { text: say('act.interaction.replied.gone', { use, max }) };
    }
    case 'group.left': return { text: say('act.group.left') };
    case 'identity.linked': return { text: say('act.identity.linked', { host: entry.detail ?? '' }) };
    case 'identity.unlinked': return { text: say('act.identity.unlinked', { host: entry.detail ?? '' }) };
    case 'host.signed_in': return { text: say('act.host.signed_in', { host: entry.detail ?? '' }) };
    case 'host.account_created': return { text: say('act.host.account_created', { host: entry.detail ?? '' }) };
    case 'consent.given': return { text: say('act.consent.given') };
    case 'access.revoked': return { text: say('act.access.revoked') };
    case 'account.created': return { text: say('act.account.created') };
    case 'password.changed': return { text: say('act.password.changed') };
    default: return { text: say('act.other', { app: app || '—', action: entry.action }) };
  }
}
