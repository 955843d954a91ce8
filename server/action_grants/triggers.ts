// The triggers an app declares in its registration (`plaza_triggers`): slash commands, an @-mention name, and taking
// shared messages. One schema checks every registration (console, RFC 7591, admin CLI, seed) and documents it.
import { InputError, validator } from '../http/index.ts';

export const TRIGGERS_FIELD = 'plaza_triggers';

/** What an interaction may let the app do: answer the message that caused it. */
export const INTERACTION_ACTIONS = ['messages:post'];

export interface Command {
  name: string;
  description?: string;
  actions: string[];
}

export interface Triggers {
  commands?: Command[];
  mention?: { name: string; actions: string[] };
  share?: { description?: string; actions: string[] };
}

const ACTIONS_SCHEMA = { type: 'array', minItems: 1, uniqueItems: true, items: { enum: INTERACTION_ACTIONS } };
const NAME = { type: 'string', pattern: '^[a-z0-9_-]{1,32}$', description: 'Lower-case letters, digits, "_" or "-", at most 32' };
const DESCRIPTION = { type: 'string', maxLength: 100 };

export const TRIGGERS_SCHEMA = {
  type: 'object', additionalProperties: false,
  description: 'What users do in a group that lets the app answer them, once, as them (where a member let the app respond when asked)',
  properties: {
    commands: {
      type: 'array', maxItems: 25, description: '`/name arguments` at the start of a message',
      items: { type: 'object', additionalProperties: false, required: ['name', 'actions'], properties: { name: NAME, description: DESCRIPTION, actions: ACTIONS_SCHEMA } },
    },
    mention: {
      type: 'object', additionalProperties: false, required: ['name', 'actions'], description: '`@name` anywhere in a message',
      properties: { name: NAME, actions: ACTIONS_SCHEMA },
    },
    share: {
      type: 'object', additionalProperties: false, required: ['actions'], description: 'A member shares a message with the app',
      properties: { description: DESCRIPTION, actions: ACTIONS_SCHEMA },
    },
  },
  examples: [{ commands: [{ name: 'weather', description: 'The weather for a city', actions: ['messages:post'] }], mention: { name: 'weatherbot', actions: ['messages:post'] } }],
};

const checkSchema = validator<Triggers>(TRIGGERS_SCHEMA, { where: TRIGGERS_FIELD, code: 'invalid_client_metadata' });

/** Checks a registration's triggers; throws with the reason they are refused. */
export function checkTriggers(value: unknown): Triggers {
  const triggers = checkSchema(value);
  const names = (triggers.commands ?? []).map((c) => c.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new InputError(`/${twice} is in ${TRIGGERS_FIELD}.commands twice`, 'invalid_client_metadata');
  return triggers;
}

/** The triggers in a client's metadata, or none. */
export function triggersOf(metadata: Record<string, unknown> | undefined): Triggers {
  return (metadata?.[TRIGGERS_FIELD] as Triggers | undefined) ?? {};
}

/** Every name the app answers to in a group: its commands and its mention name. */
export function namesOf(triggers: Triggers): string[] {
  return [...(triggers.commands ?? []).map((c) => `/${c.name}`), ...(triggers.mention ? [`@${triggers.mention.name}`] : [])];
}

const COMMAND = /^\/([a-z0-9_-]{1,32})(?:\s+([\s\S]*))?$/;

/** `/weather Berlin` → the command and its arguments. */
export function commandIn(text: string): { name: string; args: string } | undefined {
  const match = COMMAND.exec(text.trim());
  return match ? { name: match[1], args: (match[2] ?? '').trim() } : undefined;
}

/** Whether `@name` stands in the text as a word of its own. */
export function mentions(text: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_@])@${name}(?![a-z0-9_-])`).test(text);
}
