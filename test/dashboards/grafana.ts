/**
 * Reads the Grafana dashboards in dashboards/*.json the way Grafana would: every panel (rows and
 * their nested panels included), every target's expression, and the template variables, which
 * are substituted with Grafana's own formatting rules (a multi-value or "All" variable is
 * regex-escaped for `=~`, a single-value one is not) and its built-in intervals.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/agent-process.js';

const DASHBOARD_DIR = join(ROOT, 'dashboards');
export const RULES_DIR = join(DASHBOARD_DIR, 'prometheus');

export interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
  legendFormat?: string;
  instant?: boolean;
  format?: string;
}

export interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  fieldConfig?: { defaults?: { unit?: string } & Record<string, unknown>; overrides?: unknown[] };
  targets?: Target[];
  panels?: Panel[];
  collapsed?: boolean;
}

export interface Variable {
  name: string;
  type: string;
  label?: string;
  query?: string | { query?: string };
  definition?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  sort?: number;
  datasource?: { type?: string; uid?: string };
}

export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  description?: string;
  schemaVersion: number;
  __inputs?: { name: string; type: string; pluginId: string }[];
  templating: { list: Variable[] };
  panels: Panel[];
  tags?: string[];
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ ...(JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as Omit<Dashboard, 'file'>), file }));
}

/** Every panel, with the panels nested in (collapsed) rows, rows themselves included. */
export function allPanels(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (panels: Panel[] | undefined) => {
    for (const p of panels ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

/** The expression of every target of every panel. */
export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return allPanels(dashboard).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ dashboard: dashboard.file, panel: p.title ?? `#${p.id}`, refId: t.refId ?? '?', expr: t.expr ?? '' })),
  );
}

export function variableQuery(v: Variable): string {
  return typeof v.query === 'string' ? v.query : (v.query?.query ?? v.definition ?? '');
}

/** `label_values(selector, label)` or `label_values(label)`. */
export function parseLabelValues(query: string): { selector?: string; label: string } {
  const m = /^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([a-zA-Z_]\w*)\s*\)\s*$/s.exec(query);
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  return { selector: m[1], label: m[2]! };
}

/** Grafana's built-in variables, as a dashboard showing the last hour over a short test run sees them. */
const BUILTINS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
};

/** What a variable currently holds: one value, or Grafana's "All". */
export type Selection = { value: string } | { all: true };

/** Grafana's prometheusRegularEscape / prometheusSpecialRegexEscape. */
const regularEscape = (v: string) => v.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
const regexEscape = (v: string) => v.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');

function formatValue(v: Variable, sel: Selection): string {
  if ('all' in sel) {
    if (v.allValue === undefined) throw new Error(`variable ${v.name} has includeAll without an allValue`);
    return v.allValue;
  }
  return v.multi || v.includeAll ? regexEscape(sel.value) : regularEscape(sel.value);
}

/**
 * Substitutes `$name`, `${name}` and `[[name]]` for the given variables and Grafana's built-ins;
 * throws on any variable left over, since Grafana would send it to Prometheus as it is.
 */
export function interpolate(expr: string, vars: Variable[], selections: Record<string, Selection>): string {
  const lookup = (name: string): string | undefined => {
    if (name in BUILTINS) return BUILTINS[name];
    const v = vars.find((x) => x.name === name);
    const sel = selections[name];
    return v && sel ? formatValue(v, sel) : undefined;
  };
  const out = expr.replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined, c: string | undefined) => {
    const name = (a ?? b ?? c)!;
    const value = lookup(name);
    if (value === undefined) throw new Error(`unknown variable ${whole} in ${expr}`);
    return value;
  });
  return out;
}
