import { describe, expect, it } from 'vitest';
import { endpoint, host, splitHostPort, unbracket } from '../../agent/config/fields.js';

describe('unbracket', () => {
  it('takes the brackets off an IPv6 literal as URLs write it, and leaves every other host as it is', () => {
    expect(unbracket('[::1]')).toBe('::1');
    expect(unbracket('[2001:db8::53]')).toBe('2001:db8::53');
    expect(unbracket(new URL('http://[fe80::1]:8080/').hostname)).toBe('fe80::1');
    expect(unbracket(splitHostPort('[::1]:53')!.host)).toBe('::1');
    for (const host of ['::1', '127.0.0.1', 'portal.example.sa', '', '[', '[::1', '::1]']) expect(unbracket(host)).toBe(host);
  });
});

describe('host and endpoint fields', () => {
  it('take host names, addresses and a final dot, and refuse a mistyped name without hanging on it', () => {
    for (const h of ['a', 'appointments.example.gov.sa', 'ns1.upstream.example.sa.', 'localhost', '10.0.0.1', '::1'])
      expect(host().safeParse(h).success).toBe(true);
    // A name that nearly matches: a pattern with nested repetition takes exponential time on it.
    const typo = 'my-grpc-service-primary-node-number-0001-x_';
    for (const h of [typo, 'a..b', '-a', 'a-.b', 'grpc.internal.example.gov.sa/health/check']) expect(host().safeParse(h).success).toBe(false);
    expect(endpoint().safeParse(`${typo}:443`).success).toBe(false);
    expect(endpoint().safeParse('grpc.example.gov.sa:443').success).toBe(true);
  });
});
