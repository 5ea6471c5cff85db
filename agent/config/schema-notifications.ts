/**
 * Who on the crisis team hears what happens, and how (`notifications:`): a webhook (chat) or e-mail
 * through an SMTP server. One list, told apart by `type`; every channel picks the events it wants. Defaults live here, as for the rest of the schema.
 */
import * as z from 'zod';
import { host, httpUrl, id, port } from './fields.js';

export const NOTIFY_EVENTS = [
  'incident_opened',
  'incident_closed',
  'report_filed',
  'report_failed',
  'report_acknowledged',
  'guidance_received',
  'returned_for_info',
  'not_acknowledged',
  'authorization_lost',
  'final_report_due',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

const events = () =>
  z
    .array(z.enum(NOTIFY_EVENTS))
    .min(1)
    .default([...NOTIFY_EVENTS]);

const email = () => z.email({ error: (iss) => `expected an e-mail address such as crisis@moh.gov.sa, got ${JSON.stringify(iss.input)}` });

export const webhookChannelSchema = z.strictObject({
  id: id(),
  type: z.literal('webhook'),
  url: httpUrl(),
  format: z.enum(['json', 'slack', 'teams']).default('json').describe('json: raqib\'s event object; slack/teams: {"text": …} for incoming webhooks.'),
  headers: z.record(z.string(), z.string()).default({}).describe('Sent with each call; use ${ENV} for secrets.'),
  events: events(),
});

/** The port an SMTP server listens on for each way of securing it. */
export const SMTP_PORTS = { implicit: 465, starttls: 587, none: 25 } as const;

const smtpSchema = z
  .strictObject({
    host: host(),
    port: port().optional().describe('Default by tls: 465 (implicit), 587 (starttls), 25 (none).'),
    tls: z
      .enum(['starttls', 'implicit', 'none'])
      .default('starttls')
      .describe(
        'starttls: plaintext, then STARTTLS, required (a server that does not offer it is an error, never a silent plaintext send); implicit: TLS from the first byte (SMTPS); none: never TLS.',
      ),
    user: z.string().min(1, { error: 'must not be empty' }).optional().describe('User to authenticate as (AUTH); needs password_file.'),
    password_file: z
      .string()
      .min(1, { error: 'must not be empty' })
      .optional()
      .describe('File holding the password (a trailing newline is ignored), mode 0600 or 0400; read at each send, never logged.'),
    ca_file: z.string().min(1).optional().describe('PEM file of extra CAs to trust for the SMTP server.'),
    insecure: z.boolean().default(false).describe("true skips verifying the server's certificate (never in production)."),
  })
  .transform((s) => ({ ...s, port: s.port ?? SMTP_PORTS[s.tls] }));

export const emailChannelSchema = z.strictObject({
  id: id(),
  type: z.literal('email'),
  smtp: smtpSchema,
  from: email().describe('Sender address; its domain names the Message-ID.'),
  to: z.array(email()).min(1, { error: 'list at least one recipient' }).describe('Recipients; one message goes to all of them.'),
  events: events(),
});

export const notificationSchema = z.discriminatedUnion('type', [webhookChannelSchema, emailChannelSchema]);

export type WebhookChannel = z.output<typeof webhookChannelSchema>;
export type EmailChannel = z.output<typeof emailChannelSchema>;
export type NotificationChannel = z.output<typeof notificationSchema>;
