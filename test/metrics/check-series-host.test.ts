import { describe, expect, it } from 'vitest';
import { CheckSeriesHost, type Op, type Reply } from '../../agent/metrics/check-series-host.js';

/** A host whose replies are kept, pieces as text. */
function host(pieceBytes?: number) {
  const replies: (Reply & { text?: string })[] = [];
  const transferred: ArrayBuffer[] = [];
  const h = new CheckSeriesHost((reply, transfer) => {
    transferred.push(...(transfer ?? []));
    replies.push('piece' in reply ? { ...reply, text: Buffer.from(reply.piece).toString() } : reply);
  }, pieceBytes);
  return { h, replies, transferred };
}

const adds = (n: number): Op[] => Array.from({ length: n }, (_, i): Op => ['add', i + 1, 'web', `c${i}`, 'http', 'UP']);

describe('the worker half of the per-check series', () => {
  it('sends no more pieces of a scrape than it was given credit for, and the end once asked past it', () => {
    const { h, replies, transferred } = host(4_096);
    h.apply([...adds(500), ['render', 1, 2]]);
    expect(replies).toHaveLength(2);
    expect(replies.every((r) => 'piece' in r && r.piece.byteLength >= 4_096)).toBe(true);
    // Each piece is handed over whole: nothing else holds its memory.
    expect(transferred).toHaveLength(2);

    h.apply([['more', 1, 1_000]]);
    const last = replies.at(-1)!;
    expect(last).toEqual({ render: 1, done: true });
    const page = replies.map((r) => r.text ?? '').join('');
    expect(page.match(/^raqib_check_state\{.*\} 1$/gm)).toHaveLength(500);
    expect(page).toMatch(/^# HELP raqib_probe_success /);
  });

  it('applies a batch in order: a check removed and added again is listed once, with its last state', () => {
    const { h, replies } = host();
    h.apply([...adds(3), ['remove', 2], ['add', 4, 'web', 'c1', 'tcp', 'DOWN'], ['state', 4, 'DEGRADED'], ['observe', 4, 'degraded', undefined, undefined, { connect: 2, total: 3 }], ['render', 7, 10]]);
    const page = replies.map((r) => r.text ?? '').join('');
    expect(page.match(/check="c1",state="DEGRADED"\} 1/g)).toHaveLength(1);
    expect(page).toContain('raqib_probe_success{service="web",check="c1",type="tcp"} 1\n');
    expect(page).toContain('raqib_probe_phase_seconds{service="web",check="c1",phase="connect"} 0.002\n');
    expect(page).not.toContain('raqib_probe_http_status_code{service="web",check="c1"}');
    expect(replies.at(-1)).toEqual({ render: 7, done: true });
  });

  it('drops a cancelled scrape: asking it for more sends nothing', () => {
    const { h, replies } = host(4_096);
    h.apply([...adds(500), ['render', 1, 1], ['cancel', 1], ['more', 1, 5]]);
    expect(replies).toHaveLength(1);
  });
});
