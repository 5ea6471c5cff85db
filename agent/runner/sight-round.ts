/**
 * One round of asking whether the agent can see the network, for the blind guard
 * (connectivity.ts): the canaries and a few other hosts' checks, all probed from the moment the
 * round starts. `sight` settles at the first answer that proves it (a round on a working network
 * is as quick as its fastest host), or once every probe has failed; `done` once all are in.
 */
import type { CheckSpec } from '../config/resolve.js';
import type { ProbeResult } from '../probes/types.js';

export interface RoundProbe {
  spec: CheckSpec;
  /** Whether this result proves the agent can see the network. */
  proves(result: ProbeResult): boolean;
}

export class SightRound {
  readonly sight: Promise<boolean>;
  readonly done: Promise<Map<string, ProbeResult>>;

  constructor(
    /** clock.now() when the round began: a confirmation joins only a round begun after it asked. */
    readonly startedAt: number,
    probes: readonly RoundProbe[],
    run: (spec: CheckSpec) => Promise<ProbeResult>,
    /** Each result as it comes, for the guard to record. */
    take: (spec: CheckSpec, result: ProbeResult) => void,
  ) {
    const results = new Map<string, ProbeResult>();
    let seen!: (sighted: boolean) => void;
    this.sight = new Promise<boolean>((resolve) => (seen = resolve));
    this.done = Promise.all(
      probes.map(async (p) => {
        const result = await run(p.spec);
        results.set(p.spec.key, result);
        take(p.spec, result);
        if (p.proves(result)) seen(true);
      }),
    ).then(() => {
      seen(false);
      return results;
    });
  }
}
