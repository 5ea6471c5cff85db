/**
 * Config sections for reporting to the authority: where and how to file (`authority`), on whose
 * behalf (`crisis_team`), planned maintenance per service (`maintenance`), and who on the team
 * hears what happens (`notifications`). Defaults live here, as for the rest of the schema.
 */
import * as z from 'zod';
import { bilingual, cron, duration, httpUrl, id } from './fields.js';
import { windowCronProblem } from '../schedule/window-cron.js';

export const authoritySchema = z
  .strictObject({
    mode: z
      .enum(['sandbox', 'live', 'drafts'])
      .default('sandbox')
      .describe('sandbox: the built-in authority (drills, demo); live: the real one at url; drafts: prepare reports for a person to paste into the portal.'),
    url: httpUrl().optional().describe('Base URL of the Authority API v1. Required for live; for sandbox, omit it to run the sandbox inside the agent.'),
    client_id: z.string().min(1).default('raqib').describe('OAuth client id registered with the authority.'),
    ca_file: z.string().optional().describe('PEM file of extra CAs to trust for the authority.'),
    request_timeout: duration({ positive: true }).prefault('15s').describe('Upper bound of one request to the authority.'),
    update_interval: duration({ positive: true }).prefault('30m').describe('An update is filed this often while an outage lasts.'),
    followup_interval: duration({ positive: true }).prefault('5m').describe('Open reports are polled for status and guidance this often.'),
    ack_deadline: duration({ positive: true }).prefault('30m').describe('A report not acknowledged by then is escalated to the team.'),
    final_report_deadline: duration({ positive: true })
      .prefault('24h')
      .describe('If no one adds actions taken by then, the final report is filed with the timeline and "actions to follow".'),
    notice_before: duration({ positive: true }).prefault('24h').describe('Scheduled maintenance is filed this long before it starts.'),
    retry_max_delay: duration({ positive: true }).prefault('5m').describe('Longest wait between two attempts of an undelivered request.'),
  })
  .describe('Where outage reports go. Without this section raqib detects and records incidents but files nothing.');

export const memberSchema = z.strictObject({
  name: bilingual(),
  role: z.enum(['manager', 'alternate', 'member']),
  mobile: z
    .string()
    .regex(/^\+[1-9]\d{7,14}$/, { error: (iss) => `expected a mobile number in E.164 form such as +966500000000, got ${JSON.stringify(iss.input)}` }),
  email: z.email({ error: (iss) => `expected an email address, got ${JSON.stringify(iss.input)}` }),
  on_call: z.boolean().default(false).describe('On call now: told first of what needs a person.'),
  title: z
    .strictObject({
      ar: z.string({ error: 'expected the title in Arabic' }).min(1, { error: 'must not be empty' }).describe('Arabic'),
      en: z.string({ error: 'expected the title in English' }).min(1, { error: 'must not be empty' }).describe('English'),
    })
    .optional()
    .describe("Title written beside the name, in Arabic (ar) and English (en), e.g. مديرة فريق إدارة الأزمات; by default the role's title."),
});

export const crisisTeamSchema = z
  .strictObject({ members: z.array(memberSchema).min(2, { error: 'a crisis team needs a manager and at least one alternate' }) })
  .describe('The crisis team registered with the authority: exactly one manager, at least one alternate.');

export { NOTIFY_EVENTS, notificationSchema, type NotifyEvent } from './schema-notifications.js';

/** A planned window: a cron start plus a duration, or fixed start and end times. */
export const maintenanceSchema = z
  .strictObject({
    id: id(),
    schedule: cron(windowCronProblem).optional().describe("Cron expression (6 fields, agent.timezone) of each window's start; with duration."),
    duration: duration({ positive: true }).optional(),
    start: z.iso.datetime({ offset: true, error: 'expected a time with offset such as 2026-12-05T22:00:00+03:00' }).optional(),
    end: z.iso.datetime({ offset: true, error: 'expected a time with offset such as 2026-12-06T04:00:00+03:00' }).optional(),
    notify_authority: z.boolean().default(false).describe('File a scheduled_maintenance report notice_before the window.'),
    description: bilingual().optional().describe('What the maintenance is, for the report.'),
  })
  .describe('During a window no outage report is filed for the service; reports already open keep being updated.');
