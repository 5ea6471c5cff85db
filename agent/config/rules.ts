/**
 * Rules that span fields, checked after the schema accepted each field on its own: unique ids,
 * interval or schedule, a timeout that fits its interval.
 */
import { undecodableCodings } from '../probes/accept-encoding.js';
import { isLoopbackHost, targetHost } from '../probes/reach.js';
import type { Connectivity } from './resolve.js';
import { notificationProblems } from './rules-notifications.js';
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
  problems.push(...reportingProblems(config), ...notificationProblems(config), ...guardProblems(config), ...alertProblems(config));
  return problems;
}

/** Alert checks need the token Alertmanager sends, or nothing could ever reach them. */
function alertProblems(config: Config): PathProblem[] {
  if (config.agent.alertmanager) return [];
  const problems: PathProblem[] = [];
  config.services.forEach((s, si) =>
    s.checks.forEach((c, ci) => {
      if (c.type === 'alert')
        problems.push({
          path: ['services', si, 'checks', ci, 'type'],
          message: 'an alert check needs agent.alertmanager.token, the bearer token Alertmanager sends to POST /api/v1/alertmanager',
        });
    }),
  );
  return problems;
}

/** Canaries must be tellable apart; dependencies must name services and never go round in a circle. */
function guardProblems(config: Config): PathProblem[] {
  const problems: PathProblem[] = [];
  const { connectivity } = config.agent;
  const canaryIds = new Map<string, number>();
  connectivity.canaries.forEach((c, i) => {
    const at = ['agent', 'connectivity', 'canaries', i] as const;
    const first = canaryIds.get(c.id);
    if (first !== undefined) problems.push({ path: [...at, 'id'], message: `duplicate canary id "${c.id}" (first used by canaries[${first}])` });
    else canaryIds.set(c.id, i);
    if (c.id.startsWith('builtin-'))
      problems.push({ path: [...at, 'id'], message: `canary ids starting with "builtin-" name the built-in canaries; choose another id than "${c.id}"` });
    if (c.type === 'alert')
      problems.push({ path: [...at, 'type'], message: "an alert check cannot be a canary: alerts say nothing of the agent's own reach; use http, tcp or tls" });
    const interval = c.interval ?? connectivity.interval;
    const timeout = c.timeout ?? connectivity.timeout;
    if (c.schedule === undefined && timeout > interval) {
      problems.push({
        path: [...at, c.timeout !== undefined ? 'timeout' : 'interval'],
        message: `timeout ${formatDuration(timeout)} is longer than interval ${formatDuration(interval)}`,
      });
    }
  });
  const ids = new Set(config.services.map((s) => s.id));
  const deps = new Map(config.services.map((s) => [s.id, s.depends_on]));
  config.services.forEach((service, si) => {
    service.depends_on.forEach((dep, di) => {
      const at = ['services', si, 'depends_on', di];
      if (dep === service.id) problems.push({ path: at, message: 'a service cannot depend on itself' });
      else if (!ids.has(dep)) problems.push({ path: at, message: `no service "${dep}"; depends_on names services of this config` });
    });
    if (service.depends_on.includes(service.id)) return;
    // A cycle would let two services each wait for the other's incident: neither would be reported.
    const seen = new Set<string>();
    const stack = [...service.depends_on];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (next === service.id && service.depends_on.length > 0) {
        problems.push({
          path: ['services', si, 'depends_on'],
          message: `depends_on goes round in a circle back to "${service.id}"; dependencies must form a tree`,
        });
        break;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(deps.get(next) ?? []));
    }
  });
  return problems;
}

/** Reporting needs a team to report for, a URL to report to, and windows that make sense. */
function reportingProblems(config: Config): PathProblem[] {
  const problems: PathProblem[] = [];
  const { authority, crisis_team: team } = config;
  if (authority && !team) {
    problems.push({
      path: ['authority'],
      message: 'reports are filed on behalf of the crisis team: add a crisis_team: section with its manager and alternates',
    });
  }
  if (authority?.mode === 'live' && !authority.url) {
    problems.push({ path: ['authority', 'mode'], message: 'mode live needs authority.url, the base URL of the Authority API' });
  }
  if (team) {
    const managers = team.members.filter((m) => m.role === 'manager').length;
    if (managers !== 1) problems.push({ path: ['crisis_team', 'members'], message: `a crisis team has exactly one manager, found ${managers}` });
    if (!team.members.some((m) => m.role === 'alternate')) {
      problems.push({ path: ['crisis_team', 'members'], message: 'a crisis team needs at least one alternate, who files when the manager cannot' });
    }
    const emails = new Map<string, number>();
    team.members.forEach((m, i) => {
      const first = emails.get(m.email.toLowerCase());
      if (first !== undefined)
        problems.push({ path: ['crisis_team', 'members', i, 'email'], message: `duplicate email ${m.email} (first used by members[${first}])` });
      else emails.set(m.email.toLowerCase(), i);
    });
  }
  const ids = new Map<string, number>();
  config.notifications.forEach((n, i) => {
    const first = ids.get(n.id);
    if (first !== undefined)
      problems.push({ path: ['notifications', i, 'id'], message: `duplicate notification id "${n.id}" (first used by notifications[${first}])` });
    else ids.set(n.id, i);
  });
  config.services.forEach((service, si) => {
    const windowIds = new Set<string>();
    service.maintenance.forEach((w, wi) => {
      const at = ['services', si, 'maintenance', wi] as const;
      if (windowIds.has(w.id)) problems.push({ path: [...at, 'id'], message: `duplicate maintenance id "${w.id}" in service "${service.id}"` });
      windowIds.add(w.id);
      const cron = w.schedule !== undefined;
      const fixed = w.start !== undefined || w.end !== undefined;
      if (cron === fixed) {
        problems.push({ path: [...at], message: 'give either schedule: with duration: (a repeating window), or start: and end: (a single window)' });
      } else if (cron && w.duration === undefined) {
        problems.push({ path: [...at, 'schedule'], message: 'a repeating window needs duration:, e.g. duration: 2h' });
      } else if (fixed && (w.start === undefined || w.end === undefined)) {
        problems.push({ path: [...at, w.start === undefined ? 'end' : 'start'], message: 'a single window needs both start: and end:' });
      } else if (fixed && Date.parse(w.end!) <= Date.parse(w.start!)) {
        problems.push({ path: [...at, 'end'], message: `end ${w.end} is not after start ${w.start}` });
      }
      if (w.notify_authority && !authority) {
        problems.push({ path: [...at, 'notify_authority'], message: 'notify_authority needs an authority: section to file with' });
      }
    });
  });
  return problems;
}

/**
 * What is valid but worth a word before it runs: an agent that files (live) or prepares (drafts)
 * reports with no way to tell a cut of its own network from an outage would report every failure
 * it sees while cut off; a canary on a loopback address always answers, so it tells nothing.
 */
export function configWarnings(config: Config, connectivity: Connectivity): PathProblem[] {
  const warnings: PathProblem[] = [];
  const checksTell = connectivity.builtin && connectivity.hosts.length >= 2;
  const mode = config.authority?.mode;
  if ((mode === 'live' || mode === 'drafts') && connectivity.sight.length === 0 && !checksTell) {
    const why = connectivity.builtin ? 'no canary proves sight, and one host to watch' : 'builtin: false and no canaries';
    warnings.push({
      path: ['agent', 'connectivity'],
      message: `a ${mode} agent needs a way to tell a cut of its own network from an outage, and this config has none (${why}); add canaries beyond your links, such as the authority's host (docs/operations.md, "Blind agent")`,
    });
  }
  config.agent.connectivity.canaries.forEach((c, i) => {
    if (!isLoopbackHost(targetHost(c))) return;
    warnings.push({
      path: ['agent', 'connectivity', 'canaries', i],
      message: `canary "${c.id}" is on a loopback address, which always answers: it cannot tell a cut of the network; point it beyond your links`,
    });
  });
  config.services.forEach((service, si) =>
    service.checks.forEach((check, ci) => {
      if (check.type !== 'http') return;
      const [name, value] = Object.entries(check.headers).find(([k]) => k.toLowerCase() === 'accept-encoding') ?? [];
      const codings = undecodableCodings(value ?? '');
      if (codings.length === 0) return;
      const them = codings.length > 1 ? 'them' : 'it';
      // The probe does not ask for them (accept-encoding.ts): the header as written is not what is sent.
      warnings.push({
        path: ['services', si, 'checks', ci, 'headers', name!],
        message: `Accept-Encoding asks for ${codings.join(', ')}, which Node ${process.version} cannot decode: the probe sends the header without ${them}, so it differs from this one; leave ${them} out`,
      });
    }),
  );
  return warnings;
}
