/**
 * Facts frozen at the moment a call is decided (wording/facts.ts): the incident as the event
 * carried it, the service, entity and time zone as configured then.
 */
import type { Config, ServiceConfig } from '../config/schema.js';
import type { ReportedService } from '../wording/context.js';
import type { Facts, ReportFacts } from '../wording/facts.js';

/** The service as reports name it, without its checks and windows. */
export function reportedService(service: ServiceConfig | ReportedService): ReportedService {
  return {
    id: service.id,
    name: { ar: service.name.ar, en: service.name.en },
    channel: service.channel,
    provider: service.provider,
    beneficiaries_per_day: service.beneficiaries_per_day,
  };
}

export function freeze(config: Config, service: ReportedService, at: number, what: ReportFacts): Facts {
  return {
    at,
    entity: { code: config.entity.code, name: { ar: config.entity.name.ar, en: config.entity.name.en } },
    service: reportedService(service),
    timeZone: config.agent.timezone,
    what: structuredClone(what),
  };
}
