/**
 * Cron-driven checks, run by node-cron in the agent's time zone. node-cron only decides *when*;
 * overlap and concurrency are the scheduler's, so cron checks obey the same limits.
 */
import { createTask } from 'node-cron';
import type { Logger } from '../log.js';

export interface CronTrigger {
  stop(): void | Promise<void>;
}

/** Calls `fire(scheduledWallMs)` at each match of `expression` until stopped. */
export function createCronTrigger(expression: string, timezone: string, log: Logger, fire: (scheduledWallMs: number) => void): CronTrigger {
  const cronLog = log.child({ module: 'cron', expression });
  const task = createTask(expression, (ctx) => fire(ctx.date.getTime()), {
    timezone,
    noOverlap: false,
    unref: true,
    logger: {
      info: (message) => cronLog.debug({ detail: message }, 'cron info'),
      warn: (message) => cronLog.warn({ detail: message }, 'cron warning'),
      error: (message, err) => cronLog.error({ detail: String(message), err }, 'cron error'),
      debug: (message) => cronLog.trace({ detail: String(message) }, 'cron debug'),
    },
  });
  void task.start();
  return { stop: () => task.destroy() };
}
