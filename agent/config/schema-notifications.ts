/**
 * Who on the crisis team hears what happens, and how (`notifications:`): a webhook (chat), e-mail
 * through an SMTP server, or SMS through an HTTP gateway. One list, told apart by `type`; every
 * channel picks the events it wants. Defaults live here, as for the rest of the schema.
 */
import * as z from 'zod';
import { host, httpUrl, id, port, statusRange } from './fields.js';
import { closest } from './suggest.js';

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

/** What an SMS request template may name; the values are escaped for where they go (team/sms.ts). */
export const SMS_PLACEHOLDERS = ['to', 'text', 'reference', 'event', 'id'] as const;
export type SmsPlaceholder = (typeof SMS_PLACEHOLDERS)[number];
/** `{{name}}`, spaces allowed inside the braces as Mustache allows them. */
export const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Text with `{{placeholders}}`, each one of SMS_PLACEHOLDERS. */
const template = () =>
  z.string().superRefine((text, ctx) => {
    for (const m of text.matchAll(PLACEHOLDER)) {
      const name = m[1]!;
      if ((SMS_PLACEHOLDERS as readonly string[]).includes(name)) continue;
      const guess = closest(name, SMS_PLACEHOLDERS);
      const all = SMS_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ');
      ctx.addIssue({ code: 'custom', message: `unknown placeholder ${m[0]}; use ${all}${guess ? ` (did you mean "{{${guess}}}"?)` : ''}` });
    }
  });

const email = () => z.email({ error: (iss) => `expected an e-mail address such as crisis@moh.gov.sa, got ${JSON.stringify(iss.input)}` });

/** E.164, as the crisis team's mobiles are written. */
export const mobile = () =>
  z
    .string({ error: 'expected a mobile number in E.164 form such as +966500000000' })
    .regex(/^\+[1-9]\d{7,14}$/, { error: (iss) => `expected a mobile number in E.164 form such as +966500000000, got ${JSON.stringify(iss.input)}` });

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

export const smsChannelSchema = z.strictObject({
  id: id(),
  type: z.literal('sms'),
  request: z
    .strictObject({
      method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
      url: httpUrl().pipe(template()).describe('Placeholders in it are percent-encoded.'),
      headers: z
        .record(z.string(), template())
        .default({})
        .describe('Sent with each request; use ${ENV} for secrets. Content-Type says how the body is escaped.'),
      body: template()
        .optional()
        .describe(
          'Template of the body: {{to}}, {{text}}, {{reference}}, {{event}}, {{id}}. JSON-escaped with Content-Type application/json (write "{{text}}" inside quotes), form-encoded with application/x-www-form-urlencoded, as they are otherwise.',
        ),
    })
    .describe("The gateway's HTTP request, one per recipient and message."),
  success_status: z
    .array(statusRange())
    .min(1)
    .prefault(['2xx'])
    .describe('Answers that mean the gateway took the message: 200, "2xx" or "200-299". Another 4xx is a refusal (dead letter); 5xx, 408, 429 are retried.'),
  to: z.array(mobile()).min(1, { error: 'list at least one mobile number' }).describe('Mobile numbers in E.164 form; each gets its own request.'),
  max_segments: z
    .literal([1, 2])
    .default(2)
    .describe('The text is cut to fit this many SMS segments (Arabic: 70 characters alone, 67 a part), keeping the report reference whole.'),
  events: events(),
});

export const notificationSchema = z.discriminatedUnion('type', [webhookChannelSchema, emailChannelSchema, smsChannelSchema]);

export type WebhookChannel = z.output<typeof webhookChannelSchema>;
export type EmailChannel = z.output<typeof emailChannelSchema>;
export type SmsChannel = z.output<typeof smsChannelSchema>;
export type NotificationChannel = z.output<typeof notificationSchema>;
