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

export async function sentenceOf(entry: AuditEntry, names: Names, t: Translate): Promise<Sentence> {
  const group = entry.groupId ? await names.group(entry.groupId) ?? entry.groupId : t('act.unknown_group');
  const app = entry.via ? await names.app(entry.via) : '';
  const say = (key: MessageKey, params: Record<string, string> = {}) => t(key, { app, group, ...params });
  switch (entry.action) {
    case 'message.posted': {
      const text = entry.groupId && entry.detail ? await names.message(entry.groupId, entry.detail) : undefined;
      const link = text !== undefined ? `/groups/${encodeURIComponent(entry.groupId!)}#m-${encodeURIComponent(entry.detail!)}` : undefined;
      if (text === undefined) return { text: say('act.message.posted.gone') };
      const preview = text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
      return { text: say(entry.via ? 'act.message.posted.app' : 'act.message.posted.you', { text: preview }), link };
    }
    case 'app.added': {
      const detail = entry.detail ?? '';
      const added = detail.includes(': ') ? detail.slice(0, detail.lastIndexOf(': ')) : detail;
      return { text: entry.via ? say('act.app.added.via', { via: app, app: added }) : say('act.app.added', { app: added }) };
    }
    case 'app.removed': return { text: say('act.app.removed', { app: await names.app(detailApp(entry.detail)) }) };
    case 'app.token_issued': return { text: say('act.app.token_issued') };
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
