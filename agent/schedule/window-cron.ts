/**
 * When a repeating maintenance window starts: its cron expression's occurrences in the agent's
 * time zone, computed by croner rather than by hand. Occurrence search across daylight-saving
 * changes is easy to get wrong (a hand-written search here once put `0 30 3 * * *` on the day
 * London springs forward an hour late), and a window in the wrong place means an outage filed
 * as unplanned or a planned one announced at the wrong time.
 *
 * The expression is written as a check's `schedule:` is (run by node-cron), and matches the same
 * times of day and days: the config validates both with node-cron first, and croner is set to
 * match node-cron's reading of its fields:
 *
 * - a day of month and a day of week, when both are restricted, must BOTH match (`domAndDow`),
 *   as node-cron matches them; croner's default is Vixie cron's OR;
 * - 6 fields with seconds, or 5 without (seconds 0); no 7th (year) field;
 * - names (MON, JAN), ranges, steps on `*` and on ranges (`a-b/n`), `?`, `L`, `nW`, `LW`, `n#k`, `nL`.
 *
 * Where the two libraries read an expression's fields differently, {@link windowCronProblem}
 * refuses it, so the config cannot mean one thing for checks and another for windows (see its
 * TSDoc), but for the clock changes below.
 *
 * What it means across a daylight-saving change is croner's, not node-cron's: on the two days a
 * year clocks change, a window and a check schedule with the same expression need not start at
 * the same instants. Croner follows Vixie cron, with `fixedTimeRule: 'no-wildcard'`:
 * a window whose seconds, minutes and hours have no `*` or step (`0 30 1 * * *`, `0 30 1,13 * * *`)
 * starts once on the day clocks fall back, at the first of the repeated times (so one planned
 * maintenance is one window, announced once), and on the day they spring forward a start inside
 * the skipped hour moves to the end of the gap (01:30 in London becomes 02:00 BST), where a
 * server's own cron runs the job. A window with a `*` or step there starts at each real
 * occurrence: twice in a repeated hour, never in a skipped one.
 */
import { Cron } from 'croner';
import { Lru } from '../lru.js';

function windowCron(expression: string, timeZone?: string): Cron {
  return new Cron(expression, {
    ...(timeZone !== undefined ? { timezone: timeZone } : {}),
    domAndDow: true,
    mode: '5-or-6-parts',
    fixedTimeRule: 'no-wildcard',
    paused: true,
  });
}

/**
 * Why an expression that node-cron accepts cannot be a window's schedule, or undefined. node-cron
 * also takes reversed ranges that wrap around (`22-2`, `FRI-MON`), `L-n` (n days before the last)
 * and full day names (`sunday`), which croner refuses; and both take days that never come (the
 * weekday nearest the 1st AND the first Sunday). Each is a config error here rather than a window
 * that silently never starts.
 */
export function windowCronProblem(expression: string): string | undefined {
  let cron: Cron;
  try {
    cron = windowCron(expression);
  } catch (err) {
    const why = (err as Error).message.replace(/^CronPattern: /, '');
    return (
      `maintenance windows are computed with croner, which refuses it (${why}). ` +
      'Write ranges low to high (22-23,0-2 rather than 22-2), three-letter names (SUN, JAN), and no L-n'
    );
  }
  // Without a year field, an expression that ever matches matches again within a few years.
  if (cron.nextRun() === null) return 'maintenance windows must start some day, and this matches no day';
  return undefined;
}

/**
 * Parsed windows by time zone and expression, the least recently used first. cronStarts runs for
 * every window of every service at each /metrics scrape and reporter tick, and parsing anew each
 * time cost more than the search itself: a Cron holds a 10,000-entry year table (~83 KB), built
 * and dropped at every call. A paused Cron keeps no state between nextRun calls given a date, so
 * one instance serves every caller.
 *
 * Keyed by the strings themselves, not by config objects: a reload that keeps an expression keeps
 * its entry, and those of expressions no longer in the config are no longer used, so they are the
 * first to go once {@link MAX_PARSED} is reached. The bound caps memory across any number of
 * reloads (~83 KB an entry, ~5 MB full); a config with more distinct window expressions than that
 * parses some of them per call, as every call did before.
 */
export const MAX_PARSED = 64;
const parsed = new Lru<Cron>(MAX_PARSED);

/** windowCron(expression, timeZone), parsed once while it stays among the MAX_PARSED used last. */
function parsedCron(expression: string, timeZone: string): Cron {
  return parsed.get(`${timeZone} ${expression}`, () => windowCron(expression, timeZone)); // a time zone name has no space
}

/**
 * Starts of a cron window in [from, to) (ms since the epoch), earliest first, in `timeZone`.
 * Each start costs croner a few tens of µs, so a range holds what a window's schedule gives in a
 * day or so, not a per-second schedule over weeks.
 */
export function cronStarts(expression: string, timeZone: string, from: number, to: number): number[] {
  const cron = parsedCron(expression, timeZone);
  const out: number[] = [];
  // nextRun gives the first start strictly after its argument; 1 ms earlier makes `from` inclusive.
  for (let next = cron.nextRun(new Date(from - 1)); next !== null && next.getTime() < to; next = cron.nextRun(next)) {
    out.push(next.getTime());
  }
  return out;
}
