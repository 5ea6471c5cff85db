/**
 * The config copy the loader keeps: every string that fits in Latin-1 one byte per character, even
 * when the file (like every real one, with its Arabic names) made V8 read it two bytes each.
 */
import { describe, expect, it } from 'vitest';
import { freshCopy, freshString } from '../../agent/config/fresh-copy.js';
import { parseConfig } from '../../agent/config/load.js';
import { isOneByte, twoByteSlice } from '../helpers/one-byte.js';

const TEXT = `agent:
  id: riyadh-dc1
entity:
  code: MOH
  name: { ar: وزارة الصحة, en: Ministry of Health }
services:
  - id: portal
    name: { ar: البوابة, en: Portal café }
    checks:
      - { id: home, type: http, url: "https://www.moh.gov.sa/" }
`;

describe('fresh copy of the config', () => {
  it('keeps ids, urls and Latin-1 names one byte per character, and Arabic as it is', () => {
    // What the loader is given: V8 keeps the text of a file with Arabic in it two bytes a character.
    // Node 20's V8 then keeps every value sliced from it two-byte too (Node 22's makes most of them
    // one-byte itself, so there this holds with or without the fresh copy).
    expect(isOneByte(TEXT)).toBe(false);
    const loaded = parseConfig(TEXT, 'raqib.yaml', { env: {} });
    const check = loaded.checks[0]!;
    for (const s of [check.serviceId, check.checkId, check.key, check.type, loaded.config.agent.id, loaded.config.services[0]!.name.en]) expect(isOneByte(s), s).toBe(true);
    if (check.config.type !== 'http') throw new Error('expected the http check');
    expect(isOneByte(check.config.url)).toBe(true);
    expect(loaded.config.services[0]!.name).toEqual({ ar: 'البوابة', en: 'Portal café' });
    expect(loaded.config.entity.name.ar).toBe('وزارة الصحة');
  });

  it('copies values, arrays and keys exactly, and a __proto__ key stays data', () => {
    const source: Record<string, unknown> = {
      [twoByteSlice('a-list-of-things')]: [twoByteSlice('first-of-the-list'), 1, true, null, { x: twoByteSlice('café au lait, é') }],
      n: 2.5,
      ar: 'عربي',
      empty: '',
    };
    Object.defineProperty(source, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
    const copy = freshCopy(source) as Record<string, unknown>;
    expect(copy).toStrictEqual(source);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toContain('__proto__');
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    const list = copy['a-list-of-things'] as unknown[];
    expect(isOneByte(list[0] as string)).toBe(true);
    expect(isOneByte((list[4] as { x: string }).x)).toBe(true);
    expect(freshString(twoByteSlice('raqib-the-watcher'))).toBe('raqib-the-watcher');
  });
});
