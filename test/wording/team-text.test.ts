/**
 * The team's own words (root cause, actions taken) are never passed off as a translation: both
 * languages are used as given; one language goes to its own field and is marked in the other.
 */
import { describe, expect, it } from 'vitest';
import { finalReportBody } from '../../agent/authority/contract.js';
import { buildFinalReport } from '../../agent/wording/build.js';
import { GIVEN_IN_ARABIC_ONLY, GIVEN_IN_ENGLISH_ONLY, teamText, textLanguage } from '../../agent/wording/team-text.js';
import { closedIncident, context } from './fixtures.js';

const fsi = (s: string): string => `\u2068${s}\u2069`;

describe('teamText', () => {
  it('puts English-only text in the English field and marks it in the Arabic one', () => {
    expect(teamText(' Restarted the booking cluster. ')).toEqual({
      en: 'Restarted the booking cluster.',
      ar: `(قُدّم باللغة الإنجليزية فقط) ${fsi('Restarted the booking cluster.')}`,
    });
    expect(teamText({ en: 'Disk full' })).toEqual({ en: 'Disk full', ar: `${GIVEN_IN_ENGLISH_ONLY} ${fsi('Disk full')}` });
  });

  it('puts Arabic-only text in the Arabic field and marks it in the English one', () => {
    expect(teamText('أُعيد تشغيل خوادم nginx')).toEqual({ ar: 'أُعيد تشغيل خوادم nginx', en: '(given in Arabic only) أُعيد تشغيل خوادم nginx' });
    expect(teamText({ ar: 'امتلاء القرص', en: '  ' })).toEqual({ ar: 'امتلاء القرص', en: `${GIVEN_IN_ARABIC_ONLY} امتلاء القرص` });
  });

  it('uses both languages as given, and comes back unchanged from its own output', () => {
    const both = { ar: 'امتلاء القرص', en: 'Disk full' };
    expect(teamText({ ar: ' امتلاء القرص ', en: 'Disk full ' })).toEqual(both);
    const once = teamText('Restarted nginx')!;
    expect(teamText(once)).toEqual(once);
  });

  it('isolates each line of English text in the Arabic field, since an isolate ends at a line break', () => {
    expect(teamText('Restarted nginx.\n\nMoved traffic to DR.')!.ar).toBe(
      `${GIVEN_IN_ENGLISH_ONLY} ${fsi('Restarted nginx.')}\n\n${fsi('Moved traffic to DR.')}`,
    );
  });

  it('gives nothing for blanks or what is not text', () => {
    for (const input of [undefined, '', '   ', {}, { ar: ' ', en: '' }, 42, null, ['a'], { ar: 1 }])
      expect(teamText(input), JSON.stringify(input)).toBeUndefined();
  });

  it('reads the language from most of the letters', () => {
    expect(textLanguage('Restarted nginx on web-01')).toBe('en');
    expect(textLanguage('أُعيد تشغيل nginx على الخادم')).toBe('ar');
    expect(textLanguage('2026-11-28 12:30')).toBe('en');
  });
});

describe('the final report takes the team words', () => {
  it('in one language without copying them into the other as if translated', () => {
    const f = finalReportBody.parse(buildFinalReport(closedIncident(), context(), { taken: 'Restarted the cluster', rootCause: 'امتلاء القرص' }));
    expect(f.actions_taken.en).toBe('Restarted the cluster');
    expect(f.actions_taken.ar).not.toBe('Restarted the cluster');
    expect(f.actions_taken.ar.startsWith(GIVEN_IN_ENGLISH_ONLY)).toBe(true);
    expect(f.root_cause).toEqual({ ar: 'امتلاء القرص', en: `${GIVEN_IN_ARABIC_ONLY} امتلاء القرص` });
  });
});
