/** Alertmanager's label matchers, as raqib's alert checks write them. */
import { describe, expect, it } from 'vitest';
import { compileMatchers, matchesAll, parseMatcher } from '../../agent/alerts/matchers.js';

const labels = { alertname: 'ProbeFailed', job: 'blackbox', instance: 'https://appointments.example.gov.sa/health', severity: 'page' };
const match = (...texts: string[]) => matchesAll(compileMatchers(texts), labels);

describe('label matchers', () => {
  it('matches equality, inequality and anchored regular expressions as Alertmanager does', () => {
    expect(match('job="blackbox"')).toBe(true);
    expect(match('job!="blackbox"')).toBe(false);
    expect(match('instance=~"https://appointments.*"')).toBe(true);
    expect(match('instance=~"appointments"')).toBe(false); // anchored: the whole value must match
    expect(match('instance!~".*portal.*"')).toBe(true);
    expect(match('severity=~"page|critical"', 'job="blackbox"')).toBe(true);
    expect(match('severity=~"page|critical"', 'job="node"')).toBe(false);
  });

  it('reads a label the alert lacks as empty', () => {
    expect(match('team=""')).toBe(true);
    expect(match('team!=""')).toBe(false);
    expect(match('team=~".*"')).toBe(true);
  });

  it('takes bare values, spaces around the operator and escaped quotes', () => {
    expect(match('job=blackbox')).toBe(true);
    expect(match(' job = "blackbox" ')).toBe(true);
    expect(matchesAll(compileMatchers(['summary="say \\"hi\\""']), { summary: 'say "hi"' })).toBe(true);
  });

  it("takes RE2's leading (?i) as case-insensitive, and reads no label from an object's prototype", () => {
    expect(match('severity=~"(?i)PAGE"')).toBe(true);
    expect(match('severity=~"PAGE"')).toBe(false);
    expect(match('constructor=""')).toBe(true);
    expect(match('toString!=""')).toBe(false);
  });

  it('says what is wrong with a matcher that is not one', () => {
    expect(parseMatcher('blackbox')).toMatch(/expected a label matcher such as job="blackbox"/);
    expect(parseMatcher('job=="x"')).toMatch(/not a quoted string/);
    expect(parseMatcher('job="x')).toMatch(/not a quoted string/);
    expect(parseMatcher('job=a b')).toMatch(/bare word/);
    expect(parseMatcher('instance=~"(a"')).toMatch(/^invalid regular expression "\(a": unterminated group/);
    expect(parseMatcher('1job="x"')).toMatch(/expected a label matcher/);
  });
});
