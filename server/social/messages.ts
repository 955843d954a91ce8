// Messages in groups. Each records who wrote it (`author`) and through which app (`via`, null on Plaza's own pages).
import { randomUUID } from 'node:crypto';
import { HttpError, validator } from '../http/index.ts';
import type { SubjectView } from '../oidc/index.ts';
import type { CollectionSpec, Doc, Store } from '../store/index.ts';

export interface Message extends Doc {
  groupId: string;
  author: string;
  via: string | null;
  text: string;
  /** The message this one answers, in the same group. */
  replyTo?: string;
  createdAt: number;
}

export interface MessageView {
  id: string;
  group_id: string;
  author: string;
  via: string | null;
  text: string;
  reply_to?: string;
  created_at: string;
}

export const MAX_TEXT = 2000;

/** What a message's text is, for the API's description and for every way a message is posted. */
export const MESSAGE_TEXT_SCHEMA = { type: 'string', minLength: 1, maxLength: MAX_TEXT, pattern: '\\S', description: 'More than white space' };
export const MESSAGE_INPUT_SCHEMA = {
  type: 'object', required: ['text'],
  properties: { text: MESSAGE_TEXT_SCHEMA, reply_to: { type: 'string', minLength: 1, maxLength: 64, description: 'The id of the message of this group it answers' } },
};
const checkInput = validator<{ text: string; reply_to?: string }>(MESSAGE_INPUT_SCHEMA);

/** A listing formats the same newest times on every read, and formatting is most of a message's view: kept, up to a bound. */
const isoTimes = new Map<number, string>();
const ISO_TIMES_KEPT = 10_000;

function isoTime(ms: number): string {
  let text = isoTimes.get(ms);
  if (text === undefined) {
    if (isoTimes.size >= ISO_TIMES_KEPT) isoTimes.clear();
    text = new Date(ms).toISOString();
    isoTimes.set(ms, text);
  }
  return text;
}

/** A message as an app sees it: its author named by that app's `sub` for them. */
export function viewMessage(m: Message, subjectOf: SubjectView): MessageView {
  return {
    id: m.id, group_id: m.groupId, author: subjectOf(m.author), via: m.via, text: m.text, ...(m.replyTo ? { reply_to: m.replyTo } : {}), created_at: isoTime(m.createdAt),
  };
}

/** Told after a new message is stored (not when a job posts the same message again). */
export type MessagePosted = (message: Message) => Promise<void>;

export const MESSAGES: CollectionSpec = { name: 'messages', indexes: [{ field: 'groupId', sortBy: 'createdAt' }] };

export class Messages {
  readonly #docs;
  readonly #posted: MessagePosted[] = [];

  constructor(store: Store) {
    this.#docs = store.collection<Message>(MESSAGES);
  }

  onPosted(listener: MessagePosted): void {
    this.#posted.push(listener);
  }

  /** Checks a message and the one it answers without storing it, so that a caller can spend what posting costs in between. */
  async prepare(input: { groupId: string; author: string; via: string | null; text: unknown; replyTo?: unknown; id?: string }): Promise<Message> {
    const { text, reply_to: replyTo } = checkInput({ text: input.text, ...(input.replyTo === undefined ? {} : { reply_to: input.replyTo }) });
    if (replyTo !== undefined && !await this.get(input.groupId, replyTo)) throw new HttpError(404, 'reply_to names no message of this group');
    return {
      id: input.id ?? randomUUID(), groupId: input.groupId, author: input.author, via: input.via, text, ...(replyTo ? { replyTo } : {}), createdAt: Date.now(),
    };
  }

  /** Stores a prepared message; given an id (a job's), posting again is the same message, not a second one. */
  async store(message: Message, idempotent = false): Promise<Message> {
    if (idempotent && !await this.#docs.insert(message)) return (await this.#docs.get(message.id))!;
    if (!idempotent) await this.#docs.put(message);
    for (const listener of this.#posted) await listener(message);
    return message;
  }

  async post(input: { groupId: string; author: string; via: string | null; text: unknown; replyTo?: unknown; id?: string }): Promise<Message> {
    return this.store(await this.prepare(input), input.id !== undefined);
  }

  /** One message of the group; a message of another group is not found here. */
  async get(groupId: string, id: string): Promise<Message | undefined> {
    const message = await this.#docs.get(id);
    return message?.groupId === groupId ? message : undefined;
  }

  /** The newest messages first. */
  async list(groupId: string, limit = 50): Promise<Message[]> {
    return this.#docs.find({ groupId }, { orderBy: { field: 'createdAt', direction: 'desc' }, limit });
  }
}
