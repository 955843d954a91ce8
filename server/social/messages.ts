// Messages in groups. Each records who wrote it (`author`) and through which app (`via`, null on Plaza's own pages).
import { randomUUID } from 'node:crypto';
import { validator } from '../http/index.ts';
import type { CollectionSpec, Doc, Store } from '../store/index.ts';

export interface Message extends Doc {
  groupId: string;
  author: string;
  via: string | null;
  text: string;
  createdAt: number;
}

export interface MessageView {
  id: string;
  group_id: string;
  author: string;
  via: string | null;
  text: string;
  created_at: string;
}

export const MAX_TEXT = 2000;

/** What a message's text is, for the API's description and for every way a message is posted. */
export const MESSAGE_TEXT_SCHEMA = { type: 'string', minLength: 1, maxLength: MAX_TEXT, pattern: '\\S', description: 'More than white space' };
export const MESSAGE_INPUT_SCHEMA = { type: 'object', required: ['text'], properties: { text: MESSAGE_TEXT_SCHEMA } };
const checkInput = validator<{ text: string }>(MESSAGE_INPUT_SCHEMA);

export function viewMessage(m: Message): MessageView {
  return { id: m.id, group_id: m.groupId, author: m.author, via: m.via, text: m.text, created_at: new Date(m.createdAt).toISOString() };
}

export const MESSAGES: CollectionSpec = { name: 'messages', indexes: [{ field: 'groupId', sortBy: 'createdAt' }] };

export class Messages {
  readonly #docs;

  constructor(store: Store) {
    this.#docs = store.collection<Message>(MESSAGES);
  }

  /** Posts a message; given an id (a job's), posting again is the same message, not a second one. */
  async post(input: { groupId: string; author: string; via: string | null; text: unknown; id?: string }): Promise<Message> {
    const { text } = checkInput({ text: input.text });
    const message: Message = { id: input.id ?? randomUUID(), groupId: input.groupId, author: input.author, via: input.via, text, createdAt: Date.now() };
    if (input.id && !await this.#docs.insert(message)) return (await this.#docs.get(input.id))!;
    if (!input.id) await this.#docs.put(message);
    return message;
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
