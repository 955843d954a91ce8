// Request bodies are described once, as JSON Schema: the same object goes into the OpenAPI document and is
// compiled here, once at startup, to check what clients send, so the document cannot drift from the code.
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { InputError, type ErrorCode } from './errors.ts';
import type { JsonSchema } from './openapi.ts';

const ajv = new Ajv2020({ verbose: true, strictTypes: false });
addFormats.default(ajv);

const ARTICLE: Record<string, string> = { array: 'an array', integer: 'an integer', object: 'an object' };

/** "text must NOT have more than 2000 characters": the bad field, by its path under `where`. */
function describe(error: ErrorObject, where: string): string {
  const path = [where, ...error.instancePath.split('/').slice(1)].filter(Boolean).join('.');
  const params = error.params as { missingProperty?: string; type?: string; allowedValues?: unknown[] };
  if (error.keyword === 'required') return `${path ? `${path}.` : ''}${params.missingProperty} is required`;
  const subject = path || 'the request body';
  if (error.keyword === 'type') return `${subject} must be ${ARTICLE[params.type!] ?? `a ${params.type}`}`;
  if (error.keyword === 'enum') return `${subject} must be one of: ${params.allowedValues!.join(', ')}`;
  // A pattern means little to a person; its schema's description says it in words.
  const hint = error.keyword === 'pattern' ? (error.parentSchema as { description?: string }).description : undefined;
  if (hint) return `${subject} must be ${hint.replace(/^./, (c) => c.toLowerCase())}`;
  return `${subject} ${error.message}`;
}

/** The top-level field an error is about, which may have a code of its own. */
function fieldOf(error: ErrorObject): string {
  return error.keyword === 'required' && !error.instancePath
    ? (error.params as { missingProperty: string }).missingProperty
    : error.instancePath.split('/')[1] ?? '';
}

export interface ValidatorOptions {
  /** Where the value sits in the request, to name a bad field by its full path. */
  where?: string;
  /** The error's `code`: one for any bad field, or one per top-level field. */
  code?: ErrorCode | Record<string, ErrorCode>;
}

/** Compiles the schema; the result returns a value that fits it, or throws a 400 naming the first bad field. */
export function validator<T>(schema: JsonSchema, options: ValidatorOptions = {}): (value: unknown) => T {
  const check = ajv.compile(schema);
  return (value) => {
    if (check(value)) return value as T;
    const [error] = check.errors!;
    const code = typeof options.code === 'object' ? options.code[fieldOf(error)] : options.code;
    throw new InputError(describe(error, options.where ?? ''), code);
  };
}
