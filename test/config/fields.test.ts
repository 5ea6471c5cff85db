import { describe, expect, it } from 'vitest';
import { splitHostPort, unbracket } from '../../agent/config/fields.js';

describe('unbracket', () => {
  it('takes the brackets off an IPv6 literal as URLs write it, and leaves every other host as it is', () => {
    expect(unbracket('[::1]')).toBe('::1');
    expect(unbracket('[2001:db8::53]')).toBe('2001:db8::53');
    expect(unbracket(new URL('http://[fe80::1]:8080/').hostname)).toBe('fe80::1');
    expect(unbracket(splitHostPort('[::1]:53')!.host)).toBe('::1');
    for (const host of ['::1', '127.0.0.1', 'portal.example.sa', '', '[', '[::1', '::1]']) expect(unbracket(host)).toBe(host);
  });
});
