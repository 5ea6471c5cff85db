/**
 * Alertmanager's webhook payload (version 4), read strictly enough to trust and loosely enough to
 * take what any Alertmanager since 0.x sends: the fields raqib uses are checked, the others ignored.
 * A firing alert's `endsAt` is Go's zero time (0001-01-01T00:00:00Z): Alertmanager clears it.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

/** One alert as raqib keeps it. */
export interface DeliveredAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Epoch ms the alert began firing: with the fingerprint, it names one episode of the alert. */
  startsAt: number;
  /** Epoch ms it resolved; undefined while it fires. */
  endsAt?: number;
}

const stringMap = z.record(z.string(), z.string());
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const time = z
  .string()
  .refine((s) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)), { error: (iss) => `expected an RFC 3339 time, got ${JSON.stringify(iss.input)}` });

const alertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: stringMap,
  annotations: stringMap.optional(),
  startsAt: time,
  endsAt: time.optional(),
  fingerprint: z.string().min(1).max(64).optional(),
});

const payloadSchema = z.looseObject({
  version: z.literal('4', { error: (iss) => `expected webhook payload version "4", got ${JSON.stringify(iss.input)}` }),
  alerts: z.array(alertSchema).max(10_000),
  truncatedAlerts: z.number().int().min(0).optional(),
});

/** The alerts of a webhook body and how many the sender left out (its max_alerts), or why it is not Alertmanager's payload. */
export function readPayload(body: unknown): { alerts: DeliveredAlert[]; truncated: number } | string {
  const parsed = payloadSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `not an Alertmanager webhook payload: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
  }
  const alerts = parsed.data.alerts.map((a): DeliveredAlert => {
    const endsAt = a.endsAt === undefined ? undefined : Date.parse(a.endsAt);
    return {
      fingerprint: a.fingerprint ?? fingerprintOf(a.labels),
      status: a.status,
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: Date.parse(a.startsAt),
      // Go's zero time, or any time before 1970, is "not set".
      ...(endsAt !== undefined && endsAt > 0 && a.status === 'resolved' ? { endsAt } : {}),
    };
  });
  return { alerts, truncated: parsed.data.truncatedAlerts ?? 0 };
}

/** For senders that leave out the fingerprint: a hash of the sorted label set, as Alertmanager's is. */
export function fingerprintOf(labels: Record<string, string>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(labels).sort()) h.update(`${name}\u0000${labels[name]}\u0001`);
  return h.digest('hex').slice(0, 16);
}
