/**
 * Builds the reporting pipeline from the config and the core agent's parts: the authority
 * connection, the audit log, the durable outbox, the lifecycle, follow-up, team registration and
 * notifications. app.ts starts it when the config has an `authority:` section.
 */
import { unwatchFile, watchFile } from 'node:fs';
import type { Registry } from 'prom-client';
import { AuditLog } from './authority/audit.js';
import type { RequestEvent } from './authority/client.js';
import { openAuthority, type AuthorityConnection } from './authority/open.js';
import { Outbox } from './outbox/outbox.js';
import { DEFAULT_RETRY } from './outbox/retry.js';
import { signInPath } from './authority/sign-in.js';
import { sameAuthority } from './authority/tokens.js';
import type { Clock } from './clock.js';
import type { Config } from './config/schema.js';
import { describeError, RaqibError } from './errors.js';
import type { IncidentTracker } from './incidents/tracker.js';
import type { Logger } from './log.js';
import { ReportingMetrics } from './metrics/reporting-metrics.js';
import type { StateStore } from './store/types.js';
import { FollowUp } from './followup/followup.js';
import { Notifier } from './team/notify.js';
import { Reporter } from './filing/lifecycle.js';
import { ReportSender } from './outbox/sender.js';
import { ensureTeam, teamFingerprint } from './team/registration.js';
import { findRecord, reportDetail, reportsView } from './ledger/views.js';

/** How often an unregistered team is tried again. */
export const TEAM_RETRY_MS = 60_000;

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
  reporter: Reporter;
  outbox: Outbox;
  followUp: FollowUp | undefined;
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
  const { config, store, clock, log } = deps; // each part names its own module in the log
  const metrics = new ReportingMetrics(deps.registry, () => store);
  const audit = new AuditLog(config().agent.data_dir, log);
  let notifier: Notifier | undefined;
  let outbox: Outbox | undefined;
  /** Who requests are made as, for the audit log: the member the current token was issued for. */
  const actorNow = () => connectionRef?.tokens?.currentSubject;

  const onRequest = (ev: RequestEvent) => {
    metrics.requestDuration.observe({ endpoint: ev.endpoint, code: String(ev.outcome) }, ev.seconds);
    metrics.requestFailed(ev.outcome);
    void audit.append({
      at: new Date(clock.now()).toISOString(),
      ...(actorNow() ? { actor: actorNow() } : {}),
      on_behalf_of: store.data.team?.id,
      endpoint: ev.endpoint,
      method: ev.method,
      ...(ev.idempotencyKey ? { idempotency_key: ev.idempotencyKey } : {}),
      outcome: ev.outcome,
      seconds: Math.round(ev.seconds * 1000) / 1000,
      ...(ev.error ? { error: ev.error } : {}),
    });
  };
  const onAuthorizedChange = (authorized: boolean, reason: string) => {
    metrics.authorized.set(authorized ? 1 : 0);
    if (authorized) {
      outbox?.nudge(); // signed in again: what waited goes now
      void registerTeam();
      return;
    }
    void notifier?.notify({
      event: 'authorization_lost', at: clock.now(), subject: 'sign-in',
      message: { en: `raqib cannot file reports: ${reason}. Reports are queued until then.`, ar: `لا يستطيع رقيب تقديم البلاغات: يلزم تسجيل دخول مدير فريق الأزمات أو البديل (raqib login). البلاغات محفوظة في قائمة الانتظار.` },
    });
  };

  let connectionRef: AuthorityConnection | undefined;
  const connection = await openAuthority({ config: config(), log, userAgent: deps.userAgent, now: () => clock.now(), onRequest, onAuthorizedChange });
  connectionRef = connection;
  const sender: { send?: ReportSender } = {};
  outbox = new Outbox({
    store, clock, log,
    send: (e) => sender.send!.send(e),
    retry: { ...DEFAULT_RETRY, maxMs: config().authority!.retry_max_delay },
    hooks: { onSent: (e, a) => reporter.delivered(e, a), onDead: (e) => reporter.deadLetter(e), onDismissed: (e) => reporter.dismissed(e) },
  });
  notifier = new Notifier(config, outbox, log, config().agent.id);
  sender.send = new ReportSender({ config, store, api: connection.api, notifier, log, subject: () => connection.subject() });
  // Time-driven work is looked at often enough for the shortest interval it serves.
  const tickMs = deps.tickMs ?? Math.min(10_000, Math.max(250, Math.round(config().authority!.update_interval / 4)));
  const reporter = new Reporter({ config, store, outbox, notifier, tracker: deps.tracker, clock, log, metrics, tickMs, blind: deps.blind, drafts: connection.mode === 'drafts' });
  const followUp = connection.mode === 'drafts' ? undefined : new FollowUp({ config, store, api: connection.api, reporter, notifier, metrics, clock, log });

  /**
   * Reports, entries and the team registration belong to the authority they were made with. After
   * a switch (sandbox → live, a new url) none of them may reach the new one: pending entries become
   * dead letters that say so, finished or closed reports are left as they are, and the outages still
   * open are filed afresh with the new authority (reconcile does that, as for a record never made).
   */
  function leaveOtherAuthority(): void {
    const identity = `${connection.mode} ${connection.embedded ? 'built-in' : connection.url}`;
    const previous = store.data.authority;
    if (previous === identity) return;
    store.update((d) => {
      // The same url written with or without a trailing `/` is the same authority: nothing to leave.
      if (previous !== undefined && !sameAuthority(previous, identity)) {
        const now = clock.now();
        for (const e of d.outbox) {
          if (e.dead || e.op === 'notify') continue;
          e.dead = { at: now, reason: `made for the previous authority (${previous}); not sent to ${identity}` };
        }
        for (const [key, rec] of Object.entries(d.reports)) {
          const open = d.incidents.some((i) => i.id === rec.incidentId && i.status === 'open');
          if (open && rec.kind === 'outage') delete d.reports[key];
          else rec.done = true;
        }
        delete d.team;
        log.warn({ module: 'reporting', from: previous, to: identity }, 'the authority changed: reports made for the previous one stay there; open outages are filed with the new one');
      }
      d.authority = identity;
    });
  }

  /**
   * An authenticated call every followup_interval, so a revoked sign-in is found (and the team
   * told) while all is quiet, not when an outage needs filing; it also drives the authorized gauge
   * from the first minute after a restart.
   */
  let heartbeatTimer: unknown;
  function heartbeat(): void {
    void connection.api.findTeam(config().entity.code).catch((err: unknown) => log.debug({ module: 'reporting', err: describeError(err) }, 'authority heartbeat failed'));
    nextHeartbeat();
  }
  const nextHeartbeat = () => (heartbeatTimer = clock.setTimer(heartbeat, config().authority!.followup_interval));

  let teamTimer: unknown;
  let registering: Promise<void> | undefined;
  /** Whether the team the config names is the one registered (nothing for registerTeam to do). */
  const teamRegistered = (fingerprint = teamFingerprint(config())) => store.data.team?.fingerprint === fingerprint;
  async function registerTeam(): Promise<void> {
    registering ??= (async () => {
      if (teamTimer !== undefined) clock.clearTimer(teamTimer);
      teamTimer = undefined;
      const fingerprint = teamFingerprint(config());
      if (teamRegistered(fingerprint)) return;
      try {
        if (connection.mode === 'drafts') {
          store.update((d) => (d.team = { id: 'draft-team', fingerprint, registeredAt: clock.now() }));
        } else {
          await ensureTeam(connection.api, config(), store, log, clock.now());
        }
        outbox!.nudge();
      } catch (err) {
        log.warn({ module: 'reporting', err: describeError(err) }, 'crisis team not registered yet; will try again');
        teamTimer = clock.setTimer(() => void registerTeam(), TEAM_RETRY_MS);
      }
    })().finally(() => (registering = undefined));
    return registering;
  }

  return {
    connection, reporter, outbox, followUp,
    start() {
      metrics.channels(config().notifications.map((c) => c.id));
      leaveOtherAuthority();
      metrics.authorized.set(connection.mode === 'drafts' ? 1 : 0);
      if (connection.mode !== 'drafts') {
        // A team still to register is looked up at once by registerTeam below: the same call.
        if (teamRegistered()) heartbeat();
        else nextHeartbeat();
      }
      if (connection.tokens) {
        // `raqib login` while the agent runs: use the new sign-in at once, not at the next retry.
        watchFile(signInPath(config().agent.data_dir), { interval: 1_000, persistent: false }, () => {
          connection.tokens!.invalidate();
          outbox!.nudge();
        });
      }
      outbox!.start();
      reporter.start();
      followUp?.start();
      void registerTeam();
    },
    async stop() {
      unwatchFile(signInPath(config().agent.data_dir));
      if (heartbeatTimer !== undefined) clock.clearTimer(heartbeatTimer);
      reporter.stop();
      followUp?.stop();
      outbox!.stop();
      if (teamTimer !== undefined) clock.clearTimer(teamTimer);
      await reporter.idle();
      await audit.close();
      await connection.close();
    },
    reloaded() {
      void registerTeam();
    },
    async deadLetter(seq: number, action: 'retry' | 'dismiss') {
      const entry = action === 'retry' ? outbox!.retryDead(seq) : outbox!.dismissDead(seq);
      if (!entry) return { status: 404, data: { error: `no dead letter #${seq}; raqib reports list shows them` } };
      await store.flush();
      return { status: 200, data: { seq, summary: entry.summary, action } };
    },
    view(ref?: string) {
      if (ref === undefined) return reportsView(store.data);
      const rec = findRecord(store.data, ref);
      return rec && reportDetail(rec, store.data.outbox);
    },
    async finalize(ref: string, body: unknown) {
      const b = body as { actions?: unknown; root_cause?: unknown };
      if (typeof b.actions !== 'string' || b.actions.trim() === '') return { status: 400, data: { error: 'give the actions taken: {"actions": "…"}' } };
      try {
        const rec = await reporter.finalize(ref, { taken: b.actions, ...(typeof b.root_cause === 'string' && b.root_cause.trim() ? { rootCause: b.root_cause } : {}) });
        return { status: 202, data: reportDetail(rec, store.data.outbox) };
      } catch (err) {
        if (err instanceof RaqibError) return { status: err.code === 'RAQIB_REPORT_UNKNOWN' ? 404 : 409, data: { error: err.message } };
        throw err;
      }
    },
  };
}
