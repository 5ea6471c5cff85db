/**
 * The reporting chain, built from the config and the core agent's parts. Data flows one way:
 *
 *   tracker ─(incident events, each with a copy of the incident)─► filing ─(entries with frozen facts)─►
 *   report outbox ─(answers)─► follow-up ─(what the authority says)─► team (log, notification queue)
 *
 * Each stage calls only the ones after it; the ledger (ledger/) holds each report's record and is
 * reached only through its methods. This module wires the stages and answers people's commands
 * (finalize, retry or dismiss a dead letter), which enter the chain at the stage they concern.
 * app.ts starts it when the config has an `authority:` section; tests build it with their own api.
 */
import { unwatchFile, watchFile } from 'node:fs';
import type { Registry } from 'prom-client';
import { AuditLog, requestAuditor } from './authority/audit.js';
import type { AuthorityApi, RequestEvent } from './authority/client.js';
import { openAuthority, type AuthorityConnection } from './authority/open.js';
import { signInPath } from './authority/sign-in.js';
import { sameAuthority } from './authority/tokens.js';
import type { Clock } from './clock.js';
import type { Config } from './config/schema.js';
import { describeError, RaqibError } from './errors.js';
import { Filing } from './filing/lifecycle.js';
import { FollowUp } from './followup/followup.js';
import type { IncidentTracker } from './incidents/tracker.js';
import { Ledger } from './ledger/ledger.js';
import { reportDetail, reportsView } from './ledger/views.js';
import type { Logger } from './log.js';
import { ReportingMetrics, type ReportingReadings } from './metrics/reporting-metrics.js';
import { Answers } from './outbox/answers.js';
import { Outbox } from './outbox/outbox.js';
import { Overdue } from './outbox/overdue.js';
import { DEFAULT_RETRY, type RetryPolicy } from './outbox/retry.js';
import { ReportSender } from './outbox/sender.js';
import type { OutboxEntry } from './outbox/types.js';
import type { StateStore } from './store/types.js';
import { Notifier } from './team/notify.js';
import { draftTeam, ensureTeam, forgetTeam, registeredAs, registeredTeamId, teamFingerprint } from './team/registration.js';
import { notificationSender } from './team/deliver.js';
import type { TeamActions } from './wording/facts.js';
import { teamText } from './wording/team-text.js';

/** How often an unregistered team is tried again. */
export const TEAM_RETRY_MS = 60_000;

const isNotification = (e: OutboxEntry) => e.op === 'notify';
const isReportCall = (e: OutboxEntry) => e.op !== 'notify';

/** What the chain is built from: the core agent's parts and a connection to the authority. */
export interface ChainParts {
  config: () => Config;
  store: StateStore;
  tracker: IncidentTracker;
  clock: Clock;
  log: Logger;
  metrics: ReportingMetrics;
  api: AuthorityApi;
  /** drafts: nothing is filed and there is no far side to follow. */
  drafts: boolean;
  /** Who the authority says is signed in. */
  subject(): Promise<string | undefined>;
  tickMs?: number;
  blind?: () => boolean;
  retry?: RetryPolicy;
  random?: () => number;
}

export type ReportingChain = ReturnType<typeof buildReportingChain>;

export function buildReportingChain(p: ChainParts) {
  const { config, store, clock, log, metrics } = p;
  const retry = p.retry ?? { ...DEFAULT_RETRY, maxMs: config().authority!.retry_max_delay };
  const ledger = new Ledger(store);
  const notifications = new Outbox({
    store,
    clock,
    log,
    retry,
    random: p.random,
    owns: isNotification,
    send: notificationSender(config, log),
    hooks: {
      onSent: (e) => metrics.notifications.inc({ channel: e.channel ?? '', result: 'delivered' }),
      onDead: (e) => {
        metrics.deadLetters.inc({ op: e.op });
        metrics.notifications.inc({ channel: e.channel ?? '', result: 'failed' });
      },
    },
  });
  const notifier = new Notifier(config, notifications, log, config().agent.id);
  const answers = new Answers(ledger, notifier, metrics, clock, log, p.drafts);
  const reports: Outbox = new Outbox({
    store,
    clock,
    log,
    retry,
    random: p.random,
    owns: isReportCall,
    send: (e) => sender.send(e),
    hooks: { onSent: (e, a) => answers.delivered(e, a), onDead: (e) => answers.deadLetter(e) },
  });
  const sender = new ReportSender({ config, store, ledger, api: p.api, log, subject: p.subject, teamId: () => registeredTeamId(store), outbox: reports });
  // Time-driven work is looked at often enough for the shortest interval it serves.
  const tickMs = p.tickMs ?? Math.min(10_000, Math.max(250, Math.round(config().authority!.update_interval / 4)));
  const filing = new Filing({ config, ledger, outbox: reports, notifier, clock, log, metrics, tickMs, blind: p.blind });
  const overdue = new Overdue(ledger, reports, notifier, clock, log, tickMs);
  const followUp = new FollowUp({
    config,
    ledger,
    ...(p.drafts ? {} : { api: p.api }),
    notifier,
    metrics,
    clock,
    log,
    ...(p.tickMs ? { tickMs: p.tickMs } : {}),
  });
  answers.onAnswer((a) => followUp.answered(a));

  let unsubscribe: (() => void) | undefined;
  let stopped = false;
  let started: Promise<void> = Promise.resolve();

  return {
    ledger,
    reports,
    notifications,
    notifier,
    answers,
    sender,
    filing,
    overdue,
    followUp,
    /**
     * Filing hears every incident the store holds, then upgrades what an older raqib queued, and
     * only then does the report outbox send (nothing goes out before it says what it should).
     * Without `deliver` (tests), calls are decided and queued but nothing is sent or read.
     */
    start(options: { deliver?: boolean } = {}): Promise<void> {
      if (unsubscribe) return started; // already started
      const deliver = options.deliver ?? true;
      stopped = false;
      if (deliver) notifications.start();
      unsubscribe = p.tracker.onEvent((e) => filing.heard(e), { replay: true });
      started = p.tracker.settled().then(async () => {
        if (stopped) return;
        filing.start();
        await filing.idle();
        if (stopped || !deliver) return;
        reports.start();
        overdue.start();
        followUp.start();
      });
      return started;
    },
    async stop(): Promise<void> {
      stopped = true;
      unsubscribe?.();
      unsubscribe = undefined;
      filing.stop();
      followUp.stop();
      overdue.stop();
      reports.stop();
      notifications.stop();
      await started;
      await filing.idle();
      await overdue.idle();
      await followUp.idle();
    },
    /** Waits until what was heard so far is decided and queued. */
    async settled(): Promise<void> {
      await p.tracker.settled();
      await filing.idle();
    },
    /**
     * Reports, entries and the team registration belong to the authority they were made with. After
     * a switch none of them may reach the new one: pending report calls become dead letters that say
     * so, finished or closed reports are left as they are, and the outages still open are filed
     * afresh with the new authority (filing does that, as for a record never made).
     */
    leaveAuthority(previous: string, identity: string): void {
      reports.abandon(`made for the previous authority (${previous}); not sent to ${identity}`);
      const open = new Set(p.tracker.open().map((i) => i.id));
      ledger.leaveAuthority((id) => open.has(id));
      forgetTeam(store);
      log.warn(
        { module: 'reporting', from: previous, to: identity },
        'the authority changed: reports made for the previous one stay there; open outages are filed with the new one',
      );
    },
    /**
     * A person acts on a dead letter: send it again (a refused report then catches up on what it
     * passed over), or take it into their own hands (a refused report is filed no further).
     */
    async deadLetter(seq: number, action: 'retry' | 'dismiss'): Promise<OutboxEntry | undefined> {
      const entry =
        action === 'retry' ? (reports.retryDead(seq) ?? notifications.retryDead(seq)) : (reports.dismissDead(seq) ?? notifications.dismissDead(seq));
      const refusedReport = entry?.op === 'create_report' && entry.reportKey !== undefined && !entry.dead?.abandoned ? entry.reportKey : undefined;
      if (refusedReport !== undefined) await (action === 'retry' ? filing.resume(refusedReport) : filing.handledByHand(refusedReport));
      return entry;
    },
    finalize(ref: string, actions: TeamActions) {
      return filing.finalize(ref, actions);
    },
  };
}

/** What the reporting gauges read, through the ledger's and the outboxes' own methods. */
export function readings(chain: ReportingChain): ReportingReadings {
  return {
    records: () => chain.ledger.all(),
    entries: () => [...chain.reports.pending(), ...chain.reports.dead(), ...chain.notifications.pending(), ...chain.notifications.dead()],
  };
}

export interface ReportingDeps {
  config: () => Config;
  store: StateStore;
  tracker: IncidentTracker;
  clock: Clock;
  log: Logger;
  registry: Registry;
  userAgent: string;
  tickMs?: number;
  /** Whether the agent is blind (runner/connectivity.ts): nothing shows it can see the network. */
  blind?: () => boolean;
}

export interface ReportingRuntime {
  connection: AuthorityConnection;
  chain: ReportingChain;
  start(): void;
  stop(): Promise<void>;
  /** GET /api/v1/reports[/ref] */
  view(ref?: string): unknown;
  /** POST /api/v1/reports/{ref}/finalize */
  finalize(ref: string, body: unknown): Promise<{ status: number; data: unknown }>;
  /** The config was reloaded: register the crisis team again if it changed. */
  reloaded(): void;
  /** POST /api/v1/outbox/{seq}/retry|dismiss: a person acts on a dead letter. */
  deadLetter(seq: number, action: 'retry' | 'dismiss'): Promise<{ status: number; data: unknown }>;
}

export async function startReporting(deps: ReportingDeps): Promise<ReportingRuntime> {
  const { config, store, clock, log } = deps;
  const holder: { chain?: ReportingChain; connection?: AuthorityConnection } = {};
  const metrics = new ReportingMetrics(deps.registry, () => holder.chain && readings(holder.chain), clock);
  const audit = new AuditLog(config().agent.data_dir, log);

  const auditRequest = requestAuditor(audit, { actor: () => holder.connection?.tokens?.currentSubject, onBehalfOf: () => registeredTeamId(store) }, () =>
    clock.now(),
  );
  const onRequest = (ev: RequestEvent) => {
    metrics.requestDuration.observe({ endpoint: ev.endpoint, code: String(ev.outcome) }, ev.seconds);
    metrics.requestFailed(ev.outcome);
    auditRequest(ev);
  };
  const onAuthorizedChange = (authorized: boolean, reason: string) => {
    metrics.authorized.set(authorized ? 1 : 0);
    if (authorized) {
      holder.chain?.reports.nudge(); // signed in again: what waited goes now
      void registerTeam();
      return;
    }
    void holder.chain?.notifier.notify({ event: 'authorization_lost', facts: { reason }, at: clock.now(), subject: 'sign-in' });
  };

  const connection = await openAuthority({ config: config(), log, userAgent: deps.userAgent, now: () => clock.now(), onRequest, onAuthorizedChange });
  holder.connection = connection;
  const drafts = connection.mode === 'drafts';
  const chain = buildReportingChain({
    config,
    store,
    tracker: deps.tracker,
    clock,
    log,
    metrics,
    api: connection.api,
    drafts,
    subject: () => connection.subject(),
    tickMs: deps.tickMs,
    blind: deps.blind,
  });
  holder.chain = chain;

  function leaveOtherAuthority(): void {
    const identity = `${connection.mode} ${connection.embedded ? 'built-in' : connection.url}`;
    const previous = store.data.authority;
    if (previous === identity) return;
    // The same url written with or without a trailing `/` is the same authority: nothing to leave.
    if (previous !== undefined && !sameAuthority(previous, identity)) chain.leaveAuthority(previous, identity);
    store.update((d) => (d.authority = identity));
  }

  /**
   * An authenticated call every followup_interval, so a revoked sign-in is found (and the team
   * told) while all is quiet, not when an outage needs filing; it also drives the authorized gauge
   * from the first minute after a restart.
   */
  let heartbeatTimer: unknown;
  function heartbeat(): void {
    void connection.api
      .findTeam(config().entity.code)
      .catch((err: unknown) => log.debug({ module: 'reporting', err: describeError(err) }, 'authority heartbeat failed'));
    nextHeartbeat();
  }
  const nextHeartbeat = () => (heartbeatTimer = clock.setTimer(heartbeat, config().authority!.followup_interval));

  let teamTimer: unknown;
  let registering: Promise<void> | undefined;
  const teamRegistered = () => registeredAs(store, teamFingerprint(config()));
  async function registerTeam(): Promise<void> {
    registering ??= (async () => {
      if (teamTimer !== undefined) clock.clearTimer(teamTimer);
      teamTimer = undefined;
      if (teamRegistered()) return;
      try {
        if (drafts) draftTeam(store, config(), clock.now());
        else await ensureTeam(connection.api, config(), store, log, clock.now());
        chain.reports.nudge();
      } catch (err) {
        log.warn({ module: 'reporting', err: describeError(err) }, 'crisis team not registered yet; will try again');
        teamTimer = clock.setTimer(() => void registerTeam(), TEAM_RETRY_MS);
      }
    })().finally(() => (registering = undefined));
    return registering;
  }

  return {
    connection,
    chain,
    start() {
      metrics.channels(config().notifications.map((c) => c.id));
      leaveOtherAuthority();
      metrics.authorized.set(drafts ? 1 : 0);
      if (!drafts) {
        // A team still to register is looked up at once by registerTeam below: the same call.
        if (teamRegistered()) heartbeat();
        else nextHeartbeat();
      }
      if (connection.tokens) {
        // `raqib login` while the agent runs: use the new sign-in at once, not at the next retry.
        watchFile(signInPath(config().agent.data_dir), { interval: 1_000, persistent: false }, () => {
          connection.tokens!.invalidate();
          chain.reports.nudge();
        });
      }
      void chain.start();
      void registerTeam();
    },
    async stop() {
      unwatchFile(signInPath(config().agent.data_dir));
      if (heartbeatTimer !== undefined) clock.clearTimer(heartbeatTimer);
      if (teamTimer !== undefined) clock.clearTimer(teamTimer);
      await chain.stop();
      await audit.close();
      await connection.close();
    },
    reloaded() {
      void registerTeam();
    },
    async deadLetter(seq: number, action: 'retry' | 'dismiss') {
      const entry = await chain.deadLetter(seq, action);
      if (!entry) return { status: 404, data: { error: `no dead letter #${seq}; raqib reports list shows them` } };
      await store.flush();
      return { status: 200, data: { seq, summary: entry.summary, action } };
    },
    view(ref?: string) {
      if (ref === undefined) return reportsView(chain.ledger.all(), readings(chain).entries());
      const rec = chain.ledger.find(ref);
      return rec && reportDetail(rec, chain.reports.entriesFor(rec.key));
    },
    async finalize(ref: string, body: unknown) {
      const b = (body ?? {}) as { actions?: unknown; root_cause?: unknown };
      const taken = teamText(b.actions);
      if (!taken) return { status: 400, data: { error: 'give the actions taken: {"actions": {"ar": "…", "en": "…"}} or {"actions": "…"}' } };
      const rootCause = teamText(b.root_cause);
      try {
        const rec = await chain.finalize(ref, { taken, ...(rootCause !== undefined ? { rootCause } : {}) });
        return { status: 202, data: reportDetail(rec, chain.reports.entriesFor(rec.key)) };
      } catch (err) {
        if (err instanceof RaqibError) return { status: err.code === 'RAQIB_REPORT_UNKNOWN' ? 404 : 409, data: { error: err.message } };
        throw err;
      }
    },
  };
}
