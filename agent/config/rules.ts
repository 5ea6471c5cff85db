/**
 * Rules that span fields, checked after the schema accepted each field on its own: unique ids,
 * interval or schedule, a timeout that fits its interval.
 */
import type { Config } from './schema.js';
import type { PathProblem } from './messages.js';
import { formatDuration } from './units.js';

export function crossFieldProblems(config: Config): PathProblem[] {
  const problems: PathProblem[] = [];
  const serviceIndex = new Map<string, number>();
  config.services.forEach((service, si) => {
    const first = serviceIndex.get(service.id);
    if (first !== undefined) {
      problems.push({ path: ['services', si, 'id'], message: `duplicate service id "${service.id}" (first used by services[${first}]); ids must be unique` });
    } else serviceIndex.set(service.id, si);
    if (service.provider === config.entity.code) {
      problems.push({
        path: ['services', si, 'provider'],
        message: `"${service.provider}" is this entity's own code; write provider: self for its own services`,
      });
    }
    const checkIndex = new Map<string, number>();
    service.checks.forEach((check, ci) => {
      const at = ['services', si, 'checks', ci] as const;
      const firstCheck = checkIndex.get(check.id);
      if (firstCheck !== undefined) {
        problems.push({
          path: [...at, 'id'],
          message: `duplicate check id "${check.id}" in service "${service.id}" (first used by checks[${firstCheck}]); ids must be unique within a service`,
        });
      } else checkIndex.set(check.id, ci);
      if (check.schedule !== undefined && check.interval !== undefined) {
        problems.push({ path: [...at, 'schedule'], message: 'set either interval or schedule, not both' });
      }
      if (check.schedule !== undefined) return;
      // Point at the field the check set itself, else at the default it inherited.
      const where = (field: 'timeout' | 'interval' | 'retry_interval', other: 'timeout' | 'interval' | 'retry_interval') =>
        check[field] !== undefined ? [...at, field] : check[other] !== undefined ? [...at, other] : ['defaults', field];
      const interval = check.interval ?? config.defaults.interval;
      const timeout = check.timeout ?? config.defaults.timeout;
      if (timeout > interval) {
        problems.push({
          path: where('timeout', 'interval'),
          message: `timeout ${formatDuration(timeout)} is longer than interval ${formatDuration(interval)}; runs would overlap and be skipped. Set timeout at most ${formatDuration(interval)} or a longer interval`,
        });
      }
      const retry = check.retry_interval ?? config.defaults.retry_interval;
      if (retry !== undefined && retry > interval) {
        problems.push({
          path: where('retry_interval', 'interval'),
          message: `retry_interval ${formatDuration(retry)} is longer than interval ${formatDuration(interval)}; a re-probe must come sooner than the next run`,
        });
      }
    });
  });
  return problems;
}
