// Request bodies are described once, as JSON Schema: the same object goes into the OpenAPI document and is
// compiled here, once at startup, to check what clients send, so the document cannot drift from the code.
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { InputError } from './errors.ts';
import type { JsonSchema } from './openapi.ts';

const ajv = new Ajv2020({ verbose: true, strictTypes: false });
addFormats.default(ajv);

/** "text must NOT have more than 2000 characters": the bad field, by its path under `where`. */
function describe(error: ErrorObject, where: string): string {
  const path = [where, ...error.instancePath.split('/').slice(1)].filter(Boolean).join('.');
  if (error.keyword === 'required') return `${path ? `${path}.` : ''}${(error.params as { missingProperty: string }).missingProperty} is required`;
  // A pattern means little to a person; its schema's description says it in words.
  const hint = error.keyword === 'pattern' ? (error.parentSchema as { description?: string }).description : undefined;
  return `${path || 'the request body'} ${error.message}${hint ? ` (${hint.toLowerCase()})` : ''}`;
}

/** Compiles the schema; the result returns a value that fits it, or throws a 400 naming the first bad field. */
export function validator<T>(schema: JsonSchema, where = ''): (value: unknown) => T {
  const check = ajv.compile(schema);
  return (value) => {
    if (!check(value)) throw new InputError(describe(check.errors![0], where));
    return value as T;
  };
}
