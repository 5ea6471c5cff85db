import { describe, expect, it } from 'vitest';
import { deriveImpact, deriveServiceState, type CheckView } from '../../agent/detect/service-state.js';

const c = (state: CheckView['state'], critical = true): CheckView => ({ state, critical });

describe('service state from its checks', () => {
  it.each<[CheckView[], string]>([
    [[c('UNKNOWN'), c('UNKNOWN')], 'UNKNOWN'],
    [[c('UP'), c('UNKNOWN')], 'UP'],
    [[c('UP'), c('DOWN')], 'DOWN'],
    [[c('UP'), c('DOWN', false)], 'DEGRADED'],
    [[c('UP'), c('DEGRADED')], 'DEGRADED'],
    [[c('DEGRADED'), c('DOWN')], 'DOWN'],
    [[c('UNKNOWN'), c('DOWN')], 'DOWN'],
  ])('%j → %s', (checks, expected) => {
    expect(deriveServiceState(checks)).toBe(expected);
  });

  it('calls an outage total when every critical check is down', () => {
    expect(deriveImpact([c('DOWN'), c('DOWN'), c('UP', false)])).toBe('total');
  });

  it('calls it partial when only some critical checks are down', () => {
    expect(deriveImpact([c('DOWN'), c('UP')])).toBe('partial');
  });

  it('calls it degraded when nothing critical is down but something suffers', () => {
    expect(deriveImpact([c('UP'), c('DOWN', false)])).toBe('degraded');
    expect(deriveImpact([c('DEGRADED'), c('UP')])).toBe('degraded');
  });

  it('has no impact when all is well', () => {
    expect(deriveImpact([c('UP'), c('UNKNOWN')])).toBeUndefined();
  });
});
