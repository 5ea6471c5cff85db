import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/agent-process.js';

describe('raqib demo', () => {
  it('narrates the whole loop, from failure to the closed final report, and exits 0', async () => {
    const { code, stdout, stderr } = await runCli(['demo']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const steps = [
      'BUILT-IN SANDBOX',
      'the Appointments service fails',
      'detected: outage confirmed',
      'filed: report DGA-',
      'acknowledged by the authority',
      'guidance from the authority',
      'the service is back',
      'restored: the service answers again',
      'the crisis team adds the actions taken',
      /final report filed with the timeline and the actions taken; report DGA-\d{4}-000001 is closed\. Done\./,
    ];
    let from = 0;
    for (const step of steps) {
      const rest = stdout.slice(from);
      const found = typeof step === 'string' ? rest.indexOf(step) : (step.exec(rest)?.index ?? -1);
      const at = found === -1 ? -1 : from + found;
      expect(at, `"${step}" after position ${from} in:\n${stdout}`).toBeGreaterThan(-1);
      from = at;
    }
  }, 90_000);
});
