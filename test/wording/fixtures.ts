/** Fixed services, incidents and contexts for the report tests: one outage told in full. */
import { configSchema, type ServiceConfig } from '../../agent/config/schema.js';
import type { Evidence, Incident } from '../../agent/incidents/types.js';
import type { ReportContext } from '../../agent/wording/build.js';

/** 2026-11-28 12:30:00 Riyadh (09:30 UTC), a Saturday: 18 Jumada II 1448 AH. */
export const T0 = Date.parse('2026-11-28T09:30:00Z');
export const MIN = 60_000;
export const HOUR = 3_600_000;

export function serviceConfig(overrides: Record<string, unknown> = {}): ServiceConfig {
  const config = configSchema.parse({
    agent: { id: 'riyadh-dc1' },
    entity: { code: 'MOH', name: { ar: 'وزارة الصحة', en: 'Ministry of Health' } },
    services: [
      {
        id: 'appointments',
        name: { ar: 'المواعيد', en: 'Appointments' },
        beneficiaries_per_day: 48_000,
        checks: [
          { id: 'home', type: 'http', url: 'https://appointments.example.sa/' },
          { id: 'api', type: 'http', url: 'https://appointments.example.sa/api/health' },
        ],
        ...overrides,
      },
    ],
  });
  return config.services[0]!;
}

export function context(overrides: Partial<ReportContext> = {}, service: Record<string, unknown> = {}): ReportContext {
  return {
    entity: { code: 'MOH', name: { ar: 'وزارة الصحة', en: 'Ministry of Health' } },
    service: serviceConfig(service),
    timeZone: 'Asia/Riyadh',
    submitter: { name: { ar: 'سارة العتيبي', en: 'Sara Alotaibi' }, role: 'manager', email: 'sara@moh.example.sa', crisisTeamId: 'team-1' },
    now: T0 + 2 * HOUR + 15 * MIN,
    agentId: 'riyadh-dc1',
    ...overrides,
  };
}

export const timeoutHome: Evidence = {
  check: 'home',
  type: 'http',
  status: 'down',
  code: 'TIMEOUT',
  detail: 'no response within 10s',
  phases: { dns: 2.4, connect: 11, tls: 24.6, total: 10_000 },
  observedAt: T0 + MIN,
  agentId: 'riyadh-dc1',
};
export const status503: Evidence = {
  check: 'api',
  type: 'http',
  status: 'down',
  code: 'HTTP_STATUS',
  detail: 'expected 2xx, got 503',
  phases: { dns: 2, connect: 10, tls: 25, ttfb: 40, transfer: 1, total: 78 },
  observedAt: T0 + MIN + 500,
  httpStatus: 503,
  agentId: 'riyadh-dc1',
};

/** An open incident: both checks down since T0, detected a minute and a half later. */
export function openIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'appointments-20261128T093000Z',
    serviceId: 'appointments',
    status: 'open',
    startedAt: T0,
    detectedAt: T0 + 90_000,
    impact: 'total',
    checks: ['home', 'api'],
    timeline: [{ at: T0, state: 'DOWN', impact: 'total', checks: ['home', 'api'] }],
    evidence: [timeoutHome, status503],
    ...overrides,
  };
}

/** The same incident: total for 1 h, then partial (api only) for 1 h 15 min, then restored. */
export function closedIncident(overrides: Partial<Incident> = {}): Incident {
  const up: Evidence = { ...status503, status: 'up', code: 'OK', detail: '200 OK', httpStatus: 200, observedAt: T0 + 2 * HOUR + 15 * MIN };
  return openIncident({
    status: 'closed',
    impact: 'partial',
    endedAt: T0 + 2 * HOUR + 15 * MIN,
    resolution: 'recovered',
    timeline: [
      { at: T0, state: 'DOWN', impact: 'total', checks: ['home', 'api'] },
      { at: T0 + HOUR, state: 'DOWN', impact: 'partial', checks: ['api'] },
      { at: T0 + 2 * HOUR + 15 * MIN, state: 'UP', checks: [] },
    ],
    evidence: [{ ...timeoutHome, status: 'up', code: 'OK', detail: '200 OK', httpStatus: 200, observedAt: T0 + 2 * HOUR + 15 * MIN }, up],
    ...overrides,
  });
}
