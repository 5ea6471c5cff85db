import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.js';
import { isConfigError } from '../../agent/errors.js';

const base = (agentExtra: string, check: string) => `agent: { id: a${agentExtra} }
entity: { code: MOH, name: { ar: و, en: M } }
services:
  - id: s
    name: { ar: خ, en: S }
    checks:
      - ${check}
`;

describe('environment values take the type their field asks for', () => {
  it('makes a quoted reference a number where the field is a port', () => {
    const loaded = parseConfig(base('', '{ id: c, type: tcp, host: h, port: "${PORT}" }'), 'f.yaml', { env: { PORT: '8080' } });
    expect(loaded.config.services[0]!.checks[0]).toMatchObject({ port: 8080 });
  });

  it('keeps an all-digit secret as the text it is where the field is text', () => {
    const token = '12345678901234567890123';
    const loaded = parseConfig(base(', auth_token: "${TOKEN}"', '{ id: c, type: tcp, host: h, port: 1 }'), 'f.yaml', { env: { TOKEN: token } });
    expect(loaded.config.agent.auth_token).toBe(token);
  });

  it('keeps "2.10" as text in a JSON expectation instead of turning it into 2.1', () => {
    const loaded = parseConfig(base('', '{ id: c, type: http, url: "https://h/", expect: { json: { version: "${VER}" } } }'), 'f.yaml', {
      env: { VER: '2.10' },
    });
    expect(loaded.config.services[0]!.checks[0]).toMatchObject({ expect: { json: { version: '2.10' } } });
  });

  it('names the variable instead of printing its value when the value is rejected', () => {
    let err: unknown;
    try {
      parseConfig(base(', listen: "${LISTEN}"', '{ id: c, type: tcp, host: h, port: 1 }'), 'f.yaml', { env: { LISTEN: 'secret-looking-value' } });
    } catch (e) {
      err = e;
    }
    expect(isConfigError(err)).toBe(true);
    expect((err as Error).message).toBe('f.yaml:1:25: agent.listen: expected host:port such as 127.0.0.1:9470, got the value of ${LISTEN}');
    expect((err as Error).message).not.toContain('secret-looking-value');
  });
});
