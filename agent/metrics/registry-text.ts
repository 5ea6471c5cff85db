/**
 * The prom-client Registry's families as exposition text (format 0.0.4), written line by line from
 * what prom-client's public API gives (`registry.getMetricsAsJSON()`: each family's `get()`, with
 * the default labels applied), so that a scrape can be written in pieces with the event loop
 * turning between them. prom-client's own `registry.metrics()` formats a family in one go: its
 * largest here, raqib_probe_duration_seconds (12 series a service and probe type), held the loop
 * for most of a scrape's longest block. The text is prom-client's, line for line, but for NaN,
 * written as the format spells it.
 */
import type { Registry } from 'prom-client';
import { escapeLabelValue, num } from './check-families.js';

/** A family as getMetricsAsJSON() gives it; a histogram's or summary's values name their series. */
type Family = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];
type Value = Family['values'][number] & { metricName?: string };

/** HELP text and names: `\` and newlines escaped. */
const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelText(labels: Readonly<Record<string, string | number | undefined>>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (value !== undefined) parts.push([name, '="', escapeLabelValue(String(value)), '"'].join(''));
  }
  return parts.length > 0 ? ['{', parts.join(','), '}'].join('') : '';
}

/**
 * The families' lines, each with its newline, and an empty line between two families (as
 * registry.metrics() writes them), made one by one as they are asked for.
 */
export function* registryLines(families: readonly Family[]): Generator<string> {
  for (const [i, family] of families.entries()) {
    const name = escapeHelp(family.name);
    yield [i > 0 ? '\n' : '', '# HELP ', name, ' ', escapeHelp(family.help), '\n# TYPE ', name, ' ', family.type, '\n'].join('');
    for (const v of (family.values ?? []) as readonly Value[]) yield [v.metricName ?? name, labelText(v.labels), ' ', num(v.value), '\n'].join('');
  }
}
