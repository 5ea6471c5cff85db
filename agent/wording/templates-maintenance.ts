/**
 * The wording of scheduled-maintenance reports («الإبلاغ عن تحديث أو صيانة مجدولة ينتج عنها
 * انقطاع خدمة») and their updates, in Arabic and English. Maintenance is feminine in Arabic
 * (الصيانة), hence «أُبلغ عنها» where an outage has «أُبلغ عنه».
 */
import type { Bilingual } from '../authority/contract.js';
import type { Impact } from '../detect/service-state.js';
import { bidiIsolate } from './arabic.js';
import { CHANNEL_TEXT, L, affectedLine, impactLine, join, label, reportedBy, serviceNaming, type ServiceFacts } from './templates-common.js';

/** «صيانة مجدولة للخدمة: المواعيد» / "Scheduled maintenance of the Appointments service". */
export function maintenanceTitle(s: ServiceFacts): Bilingual {
  const n = serviceNaming(s, 'title');
  return { ar: `صيانة مجدولة للخدمة${n.arTail}`, en: `Scheduled maintenance of ${n.en}` };
}

/** What the maintenance notice says, already formatted. */
export interface MaintenanceFacts {
  service: ServiceFacts;
  impact: Impact;
  start: Bilingual;
  end: Bilingual;
  duration: Bilingual;
  /** The entity's own words on what the maintenance is, from the config. */
  description?: Bilingual;
  affected: number;
  perDay: number;
  agents: readonly string[];
}

/** The notice filed before the window: what, when, how long, how many users. */
export function maintenanceDescription(f: MaintenanceFacts): Bilingual {
  const n = serviceNaming(f.service, 'sentence');
  const what: Record<Impact, Bilingual> = {
    total: {
      ar: `صيانة مجدولة للخدمة${n.arTail}، تكون الخدمة خلالها غير متاحة.`,
      en: `Scheduled maintenance of ${n.en}, during which the service will be unavailable.`,
    },
    partial: {
      ar: `صيانة مجدولة للخدمة${n.arTail}، يكون جزء من الخدمة خلالها غير متاح.`,
      en: `Scheduled maintenance of ${n.en}, during which part of the service will be unavailable.`,
    },
    degraded: {
      ar: `صيانة مجدولة للخدمة${n.arTail}، يتأثر خلالها أداء الخدمة.`,
      en: `Scheduled maintenance of ${n.en}, during which the service's performance will be degraded.`,
    },
  };
  return join([
    what[f.impact],
    f.description && label(L.mDescription, { ar: bidiIsolate(f.description.ar.trim()), en: f.description.en }),
    label(L.channel, CHANNEL_TEXT[f.service.channel]),
    impactLine(f.impact),
    label(L.mStart, f.start),
    label(L.mEnd, f.end),
    label(L.mExpectedDuration, f.duration),
    affectedLine(L.affected, f.affected, f.perDay),
    reportedBy(f.agents, 'عنها'),
  ]);
}

/** What a maintenance update says, already formatted. */
export interface MaintenanceNoteFacts {
  service: ServiceFacts;
  status: 'in_progress' | 'completed' | 'extended';
  /** When the update happened: start, completion or extension. */
  at: Bilingual;
  /** The (new) expected end. */
  end: Bilingual;
  /** How long it lasted, for a completed window. */
  duration: Bilingual;
  affected: number;
  perDay: number;
}

/** The note of a maintenance update: started, completed, or extended to a new end. */
export function maintenanceNote(f: MaintenanceNoteFacts): Bilingual {
  const n = serviceNaming(f.service, 'sentence');
  switch (f.status) {
    case 'in_progress':
      return join([
        { ar: `بدأت الصيانة المجدولة للخدمة${n.arTail}.`, en: `The scheduled maintenance of ${n.en} has started.` },
        label(L.mStarted, f.at),
        label(L.mEnd, f.end),
      ]);
    case 'completed':
      return join([
        {
          ar: `اكتملت الصيانة المجدولة للخدمة${n.arTail} وعادت الخدمة متاحة.`,
          en: `The scheduled maintenance of ${n.en} is complete and the service is available again.`,
        },
        label(L.mDone, f.at),
        label(L.mDuration, f.duration),
        affectedLine(L.affected, f.affected, f.perDay),
      ]);
    case 'extended':
      return join([
        { ar: `مُدِّدت الصيانة المجدولة للخدمة${n.arTail}.`, en: `The scheduled maintenance of ${n.en} has been extended.` },
        label(L.mNewEnd, f.end),
        affectedLine(L.affected, f.affected, f.perDay),
      ]);
  }
}

/** The final report of a completed window: its two moments and the default action taken. */
export const MAINTENANCE_FINAL = {
  started: { ar: 'بدأت الصيانة المجدولة', en: 'The scheduled maintenance started' },
  completed: { ar: 'اكتملت الصيانة المجدولة وعادت الخدمة متاحة', en: 'The scheduled maintenance was completed and the service is available again' },
  actions: { ar: 'نُفّذت الصيانة المجدولة كما أُعلن عنها.', en: 'The scheduled maintenance was carried out as announced.' },
} as const satisfies Record<string, Bilingual>;
