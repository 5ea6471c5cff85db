/**
 * Every route the sandbox serves. docs/authority-api.yaml describes the same set (a test checks
 * both ways). A `{id}` after `reports/` takes the report's id or its public reference: the server
 * resolves it before any handler runs (router.ts, Resolvers).
 */
import { API_PREFIX, USERINFO_PATH } from '../authority/contract.js';
import type { Control } from './control.js';
import { readForm } from './http.js';
import type { OAuth } from './oauth.js';
import type { Reports } from './reports.js';
import type { Route } from './router.js';
import type { Teams } from './teams.js';

export interface Parts {
  oauth: OAuth;
  teams: Teams;
  reports: Reports;
  control: Control;
}

export function buildRoutes({ oauth, teams, reports, control }: Parts): Route[] {
  const api = API_PREFIX;
  return [
    { method: 'POST', pattern: '/oauth/device_authorization', kind: 'oauth', handler: async (c) => oauth.deviceAuthorization(await readForm(c.req)) },
    { method: 'POST', pattern: '/oauth/token', kind: 'oauth', handler: async (c) => oauth.token(await readForm(c.req)) },
    { method: 'GET', pattern: USERINFO_PATH, kind: 'oauth', handler: (c) => oauth.userinfo(c.req) },

    { method: 'GET', pattern: `${api}/crisis-teams`, kind: 'api', handler: (c, who) => teams.list(c, who) },
    { method: 'POST', pattern: `${api}/crisis-teams`, kind: 'api', scope: 'teams:write', handler: (c, who) => teams.register(c, who) },
    { method: 'GET', pattern: `${api}/crisis-teams/{id}`, kind: 'api', handler: (c, who) => teams.get(c, who) },
    { method: 'PUT', pattern: `${api}/crisis-teams/{id}`, kind: 'api', scope: 'teams:write', handler: (c, who) => teams.replace(c, who) },

    { method: 'GET', pattern: `${api}/reports`, kind: 'api', handler: (c, who) => reports.list(c, who) },
    { method: 'POST', pattern: `${api}/reports`, kind: 'api', scope: 'reports:write', handler: (c, who) => reports.file(c, who) },
    { method: 'GET', pattern: `${api}/reports/{id}`, kind: 'api', handler: (c, who) => reports.get(c, who) },
    { method: 'POST', pattern: `${api}/reports/{id}/updates`, kind: 'api', scope: 'reports:write', handler: (c, who) => reports.update(c, who) },
    { method: 'POST', pattern: `${api}/reports/{id}/final-report`, kind: 'api', scope: 'reports:write', handler: (c, who) => reports.finalReport(c, who) },

    { method: 'GET', pattern: '/sandbox/device', kind: 'control', handler: (c) => control.device(c) },
    { method: 'POST', pattern: '/sandbox/device/approve', kind: 'control', handler: (c) => control.approve(c) },
    { method: 'POST', pattern: '/sandbox/device/deny', kind: 'control', handler: (c) => control.deny(c) },
    { method: 'POST', pattern: '/sandbox/reports/{id}/status', kind: 'control', handler: (c) => control.setStatus(c) },
    { method: 'POST', pattern: '/sandbox/reports/{id}/guidance', kind: 'control', handler: (c) => control.addGuidance(c) },
    { method: 'GET', pattern: '/sandbox/faults', kind: 'control', handler: () => control.getFaults() },
    { method: 'POST', pattern: '/sandbox/faults', kind: 'control', handler: (c) => control.setFaults(c) },
    { method: 'DELETE', pattern: '/sandbox/faults', kind: 'control', handler: () => control.clearFaults() },
    { method: 'POST', pattern: '/sandbox/tokens/revoke', kind: 'control', handler: (c) => control.revoke(c) },
    { method: 'POST', pattern: '/sandbox/tokens/expire', kind: 'control', handler: () => control.expire() },
    { method: 'GET', pattern: '/sandbox/state', kind: 'control', handler: () => control.snapshot() },
  ];
}
