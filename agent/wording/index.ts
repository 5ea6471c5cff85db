/**
 * Report wording and bodies for the Authority API v1, in one import: pure builders from incidents
 * and maintenance windows to report, update and final-report bodies, and drafts for the portal.
 */
export {
  MAX_TIMELINE,
  buildFinalReport,
  buildMaintenanceFinal,
  buildMaintenanceReport,
  buildMaintenanceUpdate,
  buildOngoingUpdate,
  buildOutageReport,
  buildRestoredUpdate,
  reportTypeFor,
  type FiledMoments,
  type MaintenanceWindow,
  type ReportContext,
  type ReportKind,
} from './build.js';
export { DEFAULT_TIME_ZONE, formatDuration, formatWhen, toIso } from './dates.js';
export { IMPACT_FACTOR, estimateAffected, estimateIncident } from './estimate.js';
export { MAX_EVIDENCE, toEvidenceItems } from './evidence.js';
export { renderDraft, type DraftMeta } from './draft.js';
export { FSI, LRI, PDI, bidiIsolate, fsiIsolate, ltrIsolate } from './arabic.js';
export { GIVEN_IN_ARABIC_ONLY, GIVEN_IN_ENGLISH_ONLY, teamText, textLanguage, type TeamTextInput } from './team-text.js';
export { memberTitle } from './templates-draft.js';
