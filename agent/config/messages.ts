/**
 * Turns zod's validation issues into raqib's messages: what is wrong, what is expected, and for
 * misspellings the closest valid word. Messages a field type wrote itself (fields.ts) pass through.
 */
import type * as z from 'zod';
import { closest } from './suggest.js';

export type Path = (string | number)[];

export interface PathProblem {
  path: Path;
  message: string;
  /** Point at the key rather than its value (unknown keys). */
  atKey?: boolean;
}

const NOUNS: Record<string, string> = {
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  array: 'a list',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

export function describeValue(v: unknown): string {
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

function isDefaultMessage(message: string): boolean {
  return /^(Too small|Too big|Invalid input|Invalid option|Unrecognized key)/.test(message);
}

/** Allowed keys of the object schema at `path`, found by walking the schema along the input. */
export function keysAt(schema: z.ZodType, path: Path, input: unknown): string[] {
  let node: z.ZodType | undefined = schema;
  let value: unknown = input;
  const steps = [...path];
  for (;;) {
    node = unwrap(node, value);
    if (!node) return [];
    if (steps.length === 0) break;
    const step = steps.shift()!;
    value = (value as Record<string | number, unknown> | undefined)?.[step];
    const def = (node as unknown as { def: { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; valueType?: z.ZodType } }).def;
    if (def.type === 'object') node = def.shape?.[String(step)];
    else if (def.type === 'array') node = def.element;
    else if (def.type === 'record') node = def.valueType;
    else return [];
  }
  const def = (node as unknown as { def: { type: string; shape?: Record<string, unknown> } }).def;
  return def.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

/** Peel optional/default/pipe wrappers and pick the union member the input's `type` selects. */
function unwrap(node: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  while (node) {
    const def = (node as unknown as { def: Record<string, unknown> & { type: string } }).def;
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type)) node = def.innerType as z.ZodType;
    else if (def.type === 'pipe') node = def.in as z.ZodType;
    else if (def.type === 'union' && typeof def.discriminator === 'string') {
      const tag = (value as Record<string, unknown> | undefined)?.[def.discriminator];
      node = (def.options as z.ZodType[]).find((o) => {
        const lit = (o as unknown as { def: { shape: Record<string, { def: { values?: unknown[] } }> } }).def.shape[def.discriminator as string];
        return lit?.def.values?.includes(tag);
      });
    } else return node;
  }
  return undefined;
}

/** One or more problems (an unknown-keys issue yields one per key) for one zod issue. */
export function explainIssue(issue: z.core.$ZodIssue, schema: z.ZodType, root: unknown): PathProblem[] {
  const path = issue.path as Path;
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysAt(schema, path, root);
      return issue.keys.map((key) => {
        const guess = closest(key, allowed);
        const hint = guess ? `did you mean "${guess}"?` : `allowed keys: ${allowed.join(', ')}`;
        return { path: [...path, key], message: `unknown key "${key}"; ${hint}`, atKey: true };
      });
    }
    case 'invalid_type': {
      // A field type that words its own expectation (fields.ts) says it better than a bare type name.
      const expected = isDefaultMessage(issue.message)
        ? path.length === 0 && issue.expected === 'object'
          ? 'expected a mapping (key: value) with agent:, entity: and services: at the top level'
          : `expected ${NOUNS[issue.expected] ?? issue.expected}`
        : issue.message;
      if (input === undefined) return [{ path, message: `is required: ${expected}` }];
      return [{ path, message: `${expected}, got ${describeValue(input)}` }];
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const guess = typeof input === 'string' ? closest(input, values) : undefined;
      const want = values.length === 1 ? `expected ${values[0]}` : `expected one of ${values.join(', ')}`;
      return [{ path, message: `${want}, got ${describeValue(input)}${guess ? ` (did you mean "${guess}"?)` : ''}` }];
    }
    case 'invalid_union': {
      const note = (issue as { note?: string; options?: unknown[] }).note;
      if (note === 'No matching discriminator') {
        const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
        const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)['type'] : undefined;
        if (value === undefined) return [{ path, message: `is required: expected one of ${options.join(', ')}` }];
        if (typeof value !== 'string') {
          return [{ path, message: `expected one of ${options.join(', ')}, got ${describeValue(value)}` }];
        }
        const guess = closest(value, options);
        return [
          {
            path,
            message: `unknown type ${describeValue(value)}; expected one of ${options.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`,
          },
        ];
      }
      if (isDefaultMessage(issue.message)) return [{ path, message: `unexpected value ${describeValue(input)}` }];
      return [{ path, message: input === undefined ? `is required: ${issue.message}` : `${issue.message}, got ${describeValue(input)}` }];
    }
    case 'too_small':
    case 'too_big': {
      if (!isDefaultMessage(issue.message)) return [{ path, message: issue.message }];
      const small = issue.code === 'too_small';
      const bound = Number(small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum);
      if (issue.origin === 'array') {
        return [{ path, message: small ? `needs at least ${bound} item${bound === 1 ? '' : 's'}` : `has more than ${bound} items` }];
      }
      if (issue.origin === 'string') {
        return [{ path, message: small ? `must be at least ${bound} characters` : `must be at most ${bound} characters` }];
      }
      return [{ path, message: `must be ${small ? 'at least' : 'at most'} ${bound}, got ${describeValue(input)}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}
