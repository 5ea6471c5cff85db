/**
 * The config contract: the single source of validation, defaults, TypeScript types and the JSON
 * Schema in config/raqib.schema.json. Every default lives here and nowhere else.
 */
import * as z from 'zod';
import { FIRING_KEEP_MS } from '../alerts/book.js';
import {
  bilingual,
  cron,
  duration,
  endpoint,
  entityCode,
  host,
  hostPort,
  httpUrl,
  id,
  labelMatcher,
  port,
  regex,
  size,
  statusRange,
  timezone,
  wsUrl,
} from './fields.js';
import { authoritySchema, crisisTeamSchema, maintenanceSchema, notificationSchema } from './schema-reporting.js';

/** Timing and thresholds a check inherits from `defaults:` unless it sets its own. */
const timingFields = {
  interval: duration({ positive: true }).describe('Time between the starts of two runs (fixed rate). Exclusive with schedule.').optional(),
  schedule: cron().describe('Cron expression (6 fields, with seconds) run by node-cron instead of interval.').optional(),
  timeout: duration({ positive: true }).describe('Upper bound of one run; the probe is aborted after it.').optional(),
  retry_interval: duration({ positive: true })
    .describe('Delay of the re-probe after a check that was up fails, to confirm an outage quickly. Default: interval/3.')
    .optional(),
  failure_threshold: z.number().int().min(1).max(100).describe('Consecutive failures before the check is DOWN.').optional(),
  success_threshold: z.number().int().min(1).max(100).describe('Consecutive successes before a DOWN check is UP.').optional(),
};

const checkBase = {
  id: id().describe('Unique within its service; appears in metrics as the check label.'),
  critical: z.boolean().default(true).describe('A critical check that is down takes its service down; a non-critical one only degrades it.'),
  ...timingFields,
};

const httpCheck = z
  .strictObject({
    ...checkBase,
    type: z.literal('http'),
    url: httpUrl(),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
    headers: z.record(z.string(), z.string()).default({}).describe('Request headers; use ${ENV} for secrets.'),
    body: z.string().optional().describe('Request body.'),
    insecure: z.boolean().default(false).describe('Skip TLS certificate verification. Off by default.'),
    ca_file: z.string().optional().describe('PEM file of extra CA certificates to trust.'),
    tls_resume: z
      .boolean()
      .default(true)
      .describe(
        'Resume TLS sessions on the fresh connection of each probe, with a full, verified handshake at least every 10 minutes, after any failure and once the certificate has expired. false: a full handshake on every probe.',
      ),
    max_redirects: z.number().int().min(0).max(30).default(10).describe('Redirects followed; 0 keeps the first answer.'),
    max_body_size: size().prefault('1MiB').describe('Bytes of body read at most; the rest is not downloaded.'),
    expect: z
      .strictObject({
        status: z.array(statusRange()).min(1).prefault(['2xx']).describe('Accepted final status codes: 200, "2xx" or "200-299".'),
        body_contains: z.string().optional(),
        body_matches: regex().optional().describe('JavaScript regular expression the body must match.'),
        json: z
          .record(
            z.string(),
            z.union([z.string(), z.number(), z.boolean(), z.null()], {
              error: 'expected the value this JSON path must equal (text, a number, true, false or null)',
            }),
          )
          .optional()
          .describe('JSON body paths (a.b[0].c) and the value each must equal.'),
        headers: z.array(z.string().min(1)).optional().describe('Response headers that must be present.'),
        max_latency: duration().optional().describe('Slower answers are DEGRADED (code SLOW).'),
        cert_valid_days: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe(
            'HTTPS: fewer days before the first certificate of the presented chain (leaf or intermediate) expires is DEGRADED (code TLS_CERT_EXPIRING). Unset: not judged; the expiry metric and its alerts still warn.',
          ),
      })
      .prefault({}),
  })
  .describe('HTTP(S) request over a fresh connection, with timing phases.');

const tcpCheck = z
  .strictObject({
    ...checkBase,
    type: z.literal('tcp'),
    host: host(),
    port: port(),
    send: z.string().optional().describe('Text sent after connecting (\\r\\n escapes allowed in YAML double quotes).'),
    expect: z.strictObject({ banner: z.string().optional().describe('Text the peer must send back (substring).') }).prefault({}),
  })
  .describe('TCP connect, optionally with a banner exchange.');

const dnsCheck = z
  .strictObject({
    ...checkBase,
    type: z.literal('dns'),
    name: z.string().min(1),
    record: z.enum(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS']).default('A'),
    server: hostPort(53).optional().describe('Resolver to ask (host:port, port 53 by default); the system resolver otherwise.'),
    expect: z
      .strictObject({
        rcode: z.enum(['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED']).default('NOERROR'),
        answer_contains: z.string().optional().describe('Text one answer must contain.'),
      })
      .prefault({}),
  })
  .describe('DNS query with an expected response code and answer.');

const tlsCheck = z
  .strictObject({
    ...checkBase,
    type: z.literal('tls'),
    host: host(),
    port: port().default(443),
    servername: z.string().optional().describe('SNI and the name the certificate must match; host by default.'),
    ca_file: z.string().optional(),
    expect: z
      .strictObject({
        cert_valid_days: z
          .number()
          .int()
          .min(0)
          .default(14)
          .describe('Fewer days before the first certificate of the presented chain (leaf or intermediate) expires is DEGRADED.'),
      })
      .prefault({}),
  })
  .describe('TLS handshake: chain, host name and days until the certificate expires.');

/** TLS fields of the probes that speak over TLS after the handshake (grpc, websocket), as an http check has them. */
const tlsClientFields = {
  insecure: z.boolean().default(false).describe('Skip TLS certificate verification. Off by default.'),
  ca_file: z.string().optional().describe('PEM file of extra CA certificates to trust.'),
  tls_resume: z
    .boolean()
    .default(true)
    .describe(
      'Resume TLS sessions as http checks do (a full, verified handshake at least every 10 minutes and after any failure). false: a full handshake every probe.',
    ),
};

const grpcCheck = z
  .strictObject({
    ...checkBase,
    type: z.literal('grpc'),
    target: endpoint().describe('host:port of the gRPC server.'),
    service: z.string().default('').describe('Service name asked about (HealthCheckRequest.service); "" asks about the server as a whole.'),
    tls: z.boolean().default(true).describe('HTTP/2 over TLS (h2); false: plaintext HTTP/2 (h2c).'),
    servername: z.string().optional().describe("SNI and the name the certificate must match; the target's host by default."),
    ...tlsClientFields,
  })
  .describe('gRPC health checking protocol (grpc.health.v1.Health/Check): up when the service is SERVING.');

const websocketCheck = z
  .strictObject({
    ...checkBase,
    type: z.literal('websocket'),
    url: wsUrl(),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('Request headers of the opening handshake (Origin, Authorization, Sec-WebSocket-Protocol); use ${ENV} for secrets.'),
    send: z.string().optional().describe('Text message sent once the connection is open.'),
    expect: z
      .strictObject({
        message_contains: z.string().optional().describe('Text the first message must contain.'),
        message_matches: regex().optional().describe('JavaScript regular expression the first message must match.'),
      })
      .prefault({})
      .describe('The first message, text or binary read as UTF-8, must arrive within the timeout and meet both when set.'),
    ...tlsClientFields,
  })
  .describe('WebSocket opening handshake (RFC 6455), optionally a message sent and the first one received judged.');

const icmpCheck = z
  .strictObject({
    ...checkBase,
    type: z.literal('icmp'),
    host: host(),
  })
  .describe("ICMP echo (ping) through the system's ping (iputils-ping); see docs/operations.md for what a container needs.");

const alertCheck = z
  .strictObject({
    ...checkBase,
    type: z.literal('alert'),
    matchers: z
      .array(labelMatcher())
      .min(1, { error: 'list at least one label matcher, such as job="blackbox"' })
      .describe('Label matchers as Alertmanager writes them (name="v", name!="v", name=~"re", name!~"re"); an alert counts when all match.'),
    expire_after: duration({ positive: true })
      .refine((ms) => ms <= FIRING_KEEP_MS, { error: 'must be at most 7d' })
      .prefault('4h30m')
      .describe(
        "A firing alert not sent again for this long counts as ended (at most 7d). Three times the route's repeat_interval in Alertmanager, which resends firing alerts, or more.",
      ),
  })
  .describe(
    "Alerts Alertmanager sends to POST /api/v1/alertmanager: DOWN while a matching alert fires. failure_threshold and success_threshold default to 1 (the alert rule's `for:` has already confirmed it).",
  );

export const CHECK_TYPES = ['http', 'tcp', 'dns', 'tls', 'grpc', 'websocket', 'icmp', 'alert'] as const;

/** More than `changes` state changes within `window` make a service FLAPPING: one incident, reported as intermittent. */
const flapping = () =>
  z.strictObject({
    changes: z.number().int().min(2).max(1000).default(4),
    window: duration({ positive: true }).prefault('30m'),
  });

const check = z.discriminatedUnion('type', [httpCheck, tcpCheck, dnsCheck, tlsCheck, grpcCheck, websocketCheck, icmpCheck, alertCheck]);

const service = z.strictObject({
  id: id().describe('Unique service id; the service label of metrics.'),
  name: bilingual(),
  provider: z
    .union([z.literal('self'), entityCode('"self"')], { error: 'expected "self" or the providing entity\'s code such as NIC' })
    .default('self')
    .describe('"self" for the entity\'s own service, or the code of the entity whose service it consumes.'),
  channel: z.enum(['web', 'mobile', 'api', 'gsb']).default('web'),
  beneficiaries_per_day: z.number().int().min(0).default(0).describe('Typical users a day; estimates who an outage affects.'),
  slo: z
    .number({ error: 'expected an availability objective in percent, such as 99.5' })
    .gt(0, { error: 'must be more than 0 (percent)' })
    .lt(100, { error: 'must be less than 100 (percent): 100% leaves no error budget' })
    .default(99.5)
    .describe('Availability objective in percent; dashboards and burn-rate alerts measure against it.'),
  checks: z.array(check).min(1, { error: 'a service needs at least one check' }),
  maintenance: z.array(maintenanceSchema).default([]),
  depends_on: z
    .array(id())
    .default([])
    .describe("Services this one cannot work without: while one is down, this one's failures join its incident instead of a report of their own."),
  flapping: flapping().optional().describe('Overrides defaults.flapping for this service.'),
});

const agent = z.strictObject({
  id: id().describe('This vantage point, e.g. riyadh-dc1; recorded in evidence.'),
  listen: hostPort().default('0.0.0.0:9470').describe('Address of /metrics, /healthz, /readyz and /api/v1.'),
  data_dir: z.string().min(1).default('./data').describe('Durable state; relative to the working directory.'),
  timezone: timezone().default('Asia/Riyadh'),
  max_concurrency: z.number().int().min(1).max(100000).default(256).describe('Probes running at once, at most.'),
  auth_token: z.string().min(16, { error: 'must be at least 16 characters' }).optional().describe('Bearer token for /metrics and /api; use ${ENV}.'),
  shutdown_timeout: duration().prefault('10s').describe('How long in-flight probes may finish on SIGTERM.'),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  alertmanager: z
    .strictObject({
      token: z
        .string()
        .min(16, { error: 'must be at least 16 characters' })
        .describe("Bearer token Alertmanager's webhook_config sends (http_config.authorization.credentials_file); use ${ENV}."),
      watchdog: z
        .strictObject({
          matchers: z.array(labelMatcher()).min(1, { error: 'list at least one label matcher, such as alertname="Watchdog"' }),
          expire_after: duration({ positive: true }).prefault('15m').describe("Longer than the watchdog route's repeat_interval."),
        })
        .optional()
        .describe(
          "An alert that always fires (a dead man's switch). While it is not heard, alert checks keep their state: a silent Prometheus or Alertmanager neither opens nor closes an outage.",
        ),
    })
    .optional()
    .describe('Takes alerts at POST /api/v1/alertmanager for checks of type alert. Without it that path answers 404.'),
  connectivity: z
    .strictObject({
      interval: duration({ positive: true }).prefault('10s').describe('How often each canary runs (unless it sets its own).'),
      timeout: duration({ positive: true }).prefault('3s'),
      canaries: z
        .array(check)
        .default([])
        .describe("Checks of the agent's own reach (gateway, resolvers, the authority's host); they replace the built-in ones unless builtin is true."),
      builtin: z
        .boolean()
        .optional()
        .describe(
          "Built-in canaries (the system resolver, the authority's host in live mode) with the checks' own answers as evidence. Default: on when no canaries are written.",
        ),
    })
    .prefault({})
    .describe('How the agent tells a cut of its own network from an outage: while it is blind it opens no incident and files nothing.'),
});

const defaults = z
  .strictObject({
    interval: duration({ positive: true }).prefault('30s'),
    timeout: duration({ positive: true }).prefault('10s'),
    retry_interval: duration({ positive: true }).optional().describe('Default: interval/3 of each check.'),
    failure_threshold: z.number().int().min(1).max(100).default(3),
    success_threshold: z.number().int().min(1).max(100).default(2),
    flapping: flapping().prefault({}),
  })
  .prefault({});

export const configSchema = z.strictObject({
  agent,
  entity: z.strictObject({ code: entityCode(), name: bilingual() }),
  defaults,
  services: z.array(service).min(1, { error: 'list at least one service to watch' }),
  authority: authoritySchema.optional(),
  crisis_team: crisisTeamSchema.optional(),
  notifications: z.array(notificationSchema).default([]),
});

/** Config as written (input side, before defaults). */
export type ConfigInput = z.input<typeof configSchema>;
/** Config after validation and defaults, with durations in milliseconds and sizes in bytes. */
export type Config = z.output<typeof configSchema>;
export type ServiceConfig = Config['services'][number];
export type CheckConfig = ServiceConfig['checks'][number];
export type CheckType = CheckConfig['type'];
export type HttpCheckConfig = Extract<CheckConfig, { type: 'http' }>;
export type TcpCheckConfig = Extract<CheckConfig, { type: 'tcp' }>;
export type DnsCheckConfig = Extract<CheckConfig, { type: 'dns' }>;
export type TlsCheckConfig = Extract<CheckConfig, { type: 'tls' }>;
export type GrpcCheckConfig = Extract<CheckConfig, { type: 'grpc' }>;
export type WebsocketCheckConfig = Extract<CheckConfig, { type: 'websocket' }>;
export type IcmpCheckConfig = Extract<CheckConfig, { type: 'icmp' }>;
export type AlertCheckConfig = Extract<CheckConfig, { type: 'alert' }>;
export type AuthorityConfig = NonNullable<Config['authority']>;
export type CrisisTeamConfig = NonNullable<Config['crisis_team']>;
export type MemberConfig = CrisisTeamConfig['members'][number];
export type MaintenanceConfig = ServiceConfig['maintenance'][number];
export type NotificationConfig = Config['notifications'][number];
