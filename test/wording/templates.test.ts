import { describe, expect, it } from 'vitest';
import { CODES } from '../../agent/probes/codes.js';
import { arabicCounted, formatNumber, toArabicDigits } from '../../agent/wording/arabic.js';
import { CODE_REASONS, codeReason } from '../../agent/wording/templates-codes.js';
import { outageTitle, serviceRef, timelineEventText } from '../../agent/wording/templates.js';

describe('result codes in plain words', () => {
  it('covers every code the probes publish', () => {
    for (const code of Object.values(CODES)) {
      const reason = codeReason(code);
      expect(reason, code).toBe(CODE_REASONS[code]);
      expect(reason.ar.length).toBeGreaterThan(3);
      expect(reason.en, 'plain words, not the code').not.toContain(code);
    }
  });

  it.each([
    ['TIMEOUT', undefined, 'no answer within the time limit', 'لم تستجب الخدمة خلال المهلة المحددة'],
    ['HTTP_STATUS', 503, 'answered with HTTP status 503 (Service Unavailable)', 'أجابت الخدمة برمز الحالة \u2066HTTP 503\u2069 (الخدمة غير متاحة)'],
    ['HTTP_STATUS', 418, 'answered with HTTP status 418', 'أجابت الخدمة برمز الحالة \u2066HTTP 418\u2069'],
    ['HTTP_STATUS', undefined, 'answered with an unexpected HTTP status', 'أجابت الخدمة برمز حالة \u2066HTTP\u2069 غير متوقع'],
    ['DNS_NXDOMAIN', undefined, 'the domain name does not exist in DNS', 'اسم النطاق غير موجود في نظام أسماء النطاقات (\u2066DNS\u2069)'],
    ['TLS_CERT_EXPIRED', undefined, 'the security (TLS) certificate has expired', 'انتهت صلاحية شهادة الأمان (\u2066TLS\u2069)'],
    ['ECONNREFUSED', undefined, 'the server refused the connection', 'رفض الخادم الاتصال'],
    ['SLOW', undefined, 'answers slower than the accepted limit', 'تستجيب الخدمة أبطأ من الحد المقبول'],
    ['QUANTUM_FLUX', undefined, 'failed with error QUANTUM_FLUX', 'أخفق الفحص بالخطأ \u2066QUANTUM_FLUX\u2069'],
  ] as const)('%s %s', (code, status, en, ar) => {
    expect(codeReason(code, status)).toEqual({ en, ar });
  });
});

describe('Arabic numbers', () => {
  const hour = { one: 'ساعة واحدة', two: 'ساعتان', few: 'ساعات', many: 'ساعة', hundred: 'ساعة' };
  it.each([
    [1, 'ساعة واحدة'],
    [2, 'ساعتان'],
    [3, '٣ ساعات'],
    [10, '١٠ ساعات'],
    [11, '١١ ساعة'],
    [99, '٩٩ ساعة'],
    [100, '١٠٠ ساعة'],
    [102, '١٠٢ ساعة'],
    [103, '١٠٣ ساعات'],
    [111, '١١١ ساعة'],
    [0, '٠ ساعة'],
  ])('%i', (n, text) => expect(arabicCounted(n, hour)).toBe(text));

  it('writes Arabic-Indic digits and groups thousands', () => {
    expect(toArabicDigits('12:30 1448')).toBe('١٢:٣٠ ١٤٤٨');
    expect(formatNumber(1_234_567)).toEqual({ en: '1,234,567', ar: '١٬٢٣٤٬٥٦٧' });
  });
});

describe('service names', () => {
  it.each([
    [
      { ar: 'المواعيد', en: 'Appointments' },
      { ar: 'المواعيد', en: 'the Appointments service' },
    ],
    [
      { ar: 'خدمة المواعيد', en: 'Appointments Service' },
      { ar: 'خدمة المواعيد', en: 'the Appointments Service' },
    ],
    [
      { ar: 'خدمة appointments', en: 'Service appointments' },
      { ar: '\u2068خدمة appointments\u2069', en: 'Service appointments' },
    ],
    [
      { ar: ' تطبيق صحتي ', en: 'The Sehhaty service' },
      { ar: 'تطبيق صحتي', en: 'The Sehhaty service' },
    ],
  ])('%j', (name, ref) => expect(serviceRef(name)).toEqual(ref));

  it.each([
    ['total', undefined, 'انقطاع الخدمة: المواعيد', 'Outage of the Appointments service'],
    ['partial', undefined, 'انقطاع جزئي في الخدمة: المواعيد', 'Partial outage of the Appointments service'],
    ['degraded', undefined, 'تدهور أداء الخدمة: المواعيد', 'Degraded performance of the Appointments service'],
    [
      'total',
      { ar: '\u2066NIC\u2069', en: 'NIC' },
      'انقطاع الخدمة المقدمة من جهة \u2066NIC\u2069: المواعيد',
      'Outage of the Appointments service provided by NIC',
    ],
  ] as const)('title for %s (provider %j)', (impact, provider, ar, en) => {
    const service = { name: { ar: 'المواعيد', en: 'Appointments' }, channel: 'web' as const, ...(provider ? { provider } : {}) };
    expect(outageTitle(service, impact)).toEqual({ ar, en });
  });

  it('words timeline events', () => {
    expect(timelineEventText({ kind: 'began', impact: 'total', checks: ['home', 'api'] })).toEqual({
      ar: 'بدأ العطل: انقطاع كلي؛ الفحوص التي أخفقت: \u2066home\u2069، \u2066api\u2069',
      en: 'The incident began: total outage; failing checks: home, api',
    });
    expect(timelineEventText({ kind: 'omitted', count: 12 }).ar).toContain('١٢');
  });
});
