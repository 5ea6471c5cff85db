/** Builds validated configs for tests from small objects, through the real schema and resolver. */
import { stringify } from 'yaml';
import { parseConfig, type LoadedConfig } from '../../agent/config/load.js';

export interface MiniService {
  id: string;
  checks: Record<string, unknown>[];
  provider?: string;
  [key: string]: unknown;
}

/** A whole config object: agent, entity and the given services, with overrides merged in. */
export function configObject(services: MiniService[], agent: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    agent: { id: 'test-agent', listen: '127.0.0.1:0', ...agent },
    entity: { code: 'MOH', name: { ar: 'وزارة الصحة', en: 'Ministry of Health' } },
    services: services.map((s) => ({ name: { ar: `خدمة ${s.id}`, en: `Service ${s.id}` }, ...s })),
    ...extra,
  };
}

export function configYaml(services: MiniService[], agent: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  return stringify(configObject(services, agent, extra));
}

export function loadedConfig(services: MiniService[], agent: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): LoadedConfig {
  return parseConfig(configYaml(services, agent, extra), 'test.yaml');
}
