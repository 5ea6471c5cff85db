import { describe, expect, it } from 'vitest';
import { CheckSeriesHost, type Op, type Reply } from '../../agent/metrics/check-series-host.js';

/** A host whose replies are kept, pieces as text. */
function host(pieceBytes?: number) {
  const replies: (Reply & { text?: string })[] = [];
  const transferred: ArrayBuffer[] = [];
  const h = new CheckSeriesHost((reply, transfer) => {
    transferred.push(...(transfer ?? []));
    replies.push('piece' in reply ? { ...reply, text: Buffer.from(reply.piece, 0, reply.length).toString() } : reply);
  }, pieceBytes);
  return { h, replies, transferred };
}

const adds = (n: number): Op[] => Array.from({ length: n }, (_, i): Op => ['add', i + 1, 'web', `c${i}`, 'http', 'UP']);

describe('the worker half of the per-check series', () => {
  it('sends no more pieces of a scrape than it was given credit for, and the end once asked past it', () => {
    // 2,000 checks' states: ~480 KB, in blocks of ~61 KB (256 checks).
    const { h, replies, transferred } = host(128 * 1024);
    h.apply([...adds(2_000), ['render', 1, 2]]);
    expect(replies).toHaveLength(2);
    for (const r of replies) expect('piece' in r && r.piece.byteLength === 128 * 1024 && r.length > 64 * 1024 && r.length <= 128 * 1024).toBe(true);
    // Each piece is handed over whole: nothing else holds its memory.
    expect(transferred).toHaveLength(2);

    h.apply([['more', 1, 1_000]]);
    const last = replies.at(-1)!;
    expect(last).toEqual({ render: 1, done: true });
    const page = replies.map((r) => r.text ?? '').join('');
    expect(page.match(/^raqib_check_state\{.*\} 1$/gm)).toHaveLength(2_000);
    expect(page).toMatch(/^# HELP raqib_probe_success /);
  });

  it('applies a batch in order: a check removed and added again is listed once, with its last state', () => {
    const { h, replies } = host();
    h.apply([...adds(3), ['remove', 2], ['add', 4, 'web', 'c1', 'tcp', 'DOWN'], ['state', 4, 'DEGRADED'], ['observe', 4, 'degraded', undefined, undefined, undefined, 2, undefined, undefined, undefined, 3], ['render', 7, 10]]);
    const page = replies.map((r) => r.text ?? '').join('');
    expect(page.match(/check="c1",state="DEGRADED"\} 1/g)).toHaveLength(1);
    expect(page).toContain('raqib_probe_success{service="web",check="c1",type="tcp"} 1\n');
    expect(page).toContain('raqib_probe_phase_seconds{service="web",check="c1",phase="connect"} 0.002\n');
    expect(page).not.toContain('raqib_probe_http_status_code{service="web",check="c1"}');
    expect(replies.at(-1)).toEqual({ render: 7, done: true });
  });

  it('makes later pieces in the memory given back, and a part larger than a piece alone', () => {
    const { h, replies } = host(128 * 1024);
    h.apply([...adds(2_000), ['render', 1, 1]]);
    const first = replies[0] as { piece: ArrayBuffer; recycle: boolean };
    expect(first.recycle).toBe(true);
    h.apply([['recycle', first.piece], ['more', 1, 1]]);
    expect((replies[1] as { piece: ArrayBuffer }).piece).toBe(first.piece);
    // Memory of another size is not kept.
    h.apply([['recycle', new ArrayBuffer(100)], ['more', 1, 1]]);
    expect((replies[2] as { piece: ArrayBuffer }).piece).not.toBe(first.piece);
    expect((replies[2] as { piece: ArrayBuffer }).piece.byteLength).toBe(128 * 1024);

    // Pieces of 64 bytes: each block's text (~61 KB for 256 checks' state) goes alone, whole.
    const small = host(64);
    const observed = Array.from({ length: 300 }, (_, i): Op => ['observe', i + 1, 'up', 200, undefined, 1, 2.5, undefined, 3, 0.25, 7]);
    small.h.apply([...adds(300), ...observed, ['render', 1, 1_000]]);
    const alone = small.replies.filter((r) => 'piece' in r && !r.recycle);
    expect(alone.length).toBeGreaterThanOrEqual(2); // the state's two blocks at least
    for (const r of alone) expect('piece' in r && r.length <= r.piece.byteLength && r.length > 64).toBe(true);
    const page = small.replies.map((r) => r.text ?? '').join('');
    expect(page.match(/^raqib_check_state\{.*\} 1$/gm)).toHaveLength(300);
    // Each check's phase lines (~450 bytes) alone too, whole.
    expect(page.match(/^raqib_probe_phase_seconds\{/gm)).toHaveLength(300 * 5);
    expect(page).toContain('raqib_probe_phase_seconds{service="web",check="c299",phase="connect"} 0.0025\n');
  });

  it('drops a cancelled scrape: asking it for more sends nothing', () => {
    const { h, replies } = host(4_096);
    h.apply([...adds(500), ['render', 1, 1], ['cancel', 1], ['more', 1, 5]]);
    expect(replies).toHaveLength(1);
  });
});
