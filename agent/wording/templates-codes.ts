/**
 * The probes' result codes in plain words, for the reports' "why it fails" lines. A reader at
 * the authority does not know ECONNREFUSED; they do know "the server refused the connection".
 * Every code in probes/codes.ts has an entry (the Record type enforces it); an unknown code,
 * e.g. from a newer agent, falls back to a generic sentence that still names it.
 */
import type { Bilingual } from '../authority/contract.js';
import type { ResultCode } from '../probes/codes.js';
import { ltrIsolate } from './arabic.js';

/** Each probe result code in plain words; the Record type makes a new code a compile error until worded. */
export const CODE_REASONS: Readonly<Record<ResultCode, Bilingual>> = {
  OK: { en: 'answering normally', ar: 'تعمل الخدمة بشكل طبيعي' },
  TIMEOUT: { en: 'no answer within the time limit', ar: 'لم تستجب الخدمة خلال المهلة المحددة' },
  ABORTED: { en: 'the check was interrupted before it completed', ar: 'توقف الفحص قبل اكتماله' },
  ECONNREFUSED: { en: 'the server refused the connection', ar: 'رفض الخادم الاتصال' },
  ECONNRESET: { en: 'the connection was cut by the server or the network', ar: 'انقطع الاتصال من جهة الخادم أو الشبكة' },
  EHOSTUNREACH: { en: 'the server could not be reached', ar: 'تعذّر الوصول إلى الخادم' },
  ENETUNREACH: { en: "the server's network could not be reached", ar: 'تعذّر الوصول إلى شبكة الخادم' },
  DNS_NXDOMAIN: { en: 'the domain name does not exist in DNS', ar: `اسم النطاق غير موجود في نظام أسماء النطاقات (${ltrIsolate('DNS')})` },
  DNS_NODATA: { en: 'the domain name has no record of the requested type', ar: 'لا يوجد لاسم النطاق سجل من النوع المطلوب' },
  DNS_SERVFAIL: { en: 'the DNS server failed to answer (SERVFAIL)', ar: `أخفق خادم أسماء النطاقات في الإجابة (${ltrIsolate('SERVFAIL')})` },
  DNS_REFUSED: { en: 'the DNS server refused the query', ar: 'رفض خادم أسماء النطاقات الاستعلام' },
  DNS_TIMEOUT: { en: 'no DNS answer within the time limit', ar: 'لم يُجب خادم أسماء النطاقات خلال المهلة المحددة' },
  DNS_ERROR: { en: 'the DNS lookup failed', ar: 'أخفق الاستعلام عن اسم النطاق' },
  DNS_RCODE: { en: 'the DNS answer code is not the expected one', ar: 'جاء رمز إجابة نظام أسماء النطاقات مخالفاً للمتوقع' },
  DNS_ANSWER_MISMATCH: { en: 'the DNS answer does not contain the expected value', ar: 'لا تتضمن إجابة نظام أسماء النطاقات القيمة المتوقعة' },
  HTTP_STATUS: { en: 'answered with an unexpected HTTP status', ar: `أجابت الخدمة برمز حالة ${ltrIsolate('HTTP')} غير متوقع` },
  HTTP_PROTOCOL_ERROR: { en: "the server's answer is not valid HTTP", ar: `جاءت إجابة الخادم مخالفة لبروتوكول ${ltrIsolate('HTTP')}` },
  HTTP_HEADERS_TOO_LARGE: { en: "the answer's headers are too large", ar: 'تجاوزت ترويسات الإجابة الحجم المسموح به' },
  HTTP_TOO_MANY_REDIRECTS: { en: 'too many redirects', ar: 'تجاوز عدد عمليات إعادة التوجيه الحد المسموح به' },
  HTTP_REDIRECT_LOOP: { en: 'the redirects loop back on themselves', ar: 'تدور عمليات إعادة التوجيه في حلقة مغلقة' },
  BODY_MISMATCH: { en: 'the page does not contain the expected content', ar: 'لا تتضمن الصفحة المحتوى المتوقع' },
  JSON_MISMATCH: { en: "the answer's data differs from what is expected", ar: 'تختلف بيانات الإجابة عن المتوقع' },
  HEADER_MISSING: { en: 'an expected header is missing from the answer', ar: 'تفتقد الإجابة ترويسة مطلوبة' },
  BODY_TOO_LARGE: {
    en: 'the page is larger than the monitoring reads, and the expected content is not in the part read',
    ar: 'الصفحة أكبر من الحجم الذي تقرؤه المراقبة، ولا يتضمن الجزء المقروء منها المحتوى المتوقع',
  },
  HTTP_CONTENT_ENCODING_UNSUPPORTED: {
    en: 'the answer is compressed in a format the monitoring cannot read',
    ar: 'جاءت الإجابة مضغوطة بصيغة لا تستطيع المراقبة قراءتها',
  },
  HTTP_CONTENT_DECODING_FAILED: { en: 'the compressed answer is damaged and cannot be decompressed', ar: 'الإجابة المضغوطة تالفة ولا يمكن فك ضغطها' },
  SLOW: { en: 'answers slower than the accepted limit', ar: 'تستجيب الخدمة أبطأ من الحد المقبول' },
  ALERT_FIRING: { en: "the entity's own monitoring raised an alert for it", ar: 'أطلقت أنظمة المراقبة لدى الجهة تنبيهًا بشأنها' },
  ALERT_NO_SOURCE: { en: 'no alerts could be read', ar: 'تعذّرت قراءة التنبيهات' },
  ALERT_SOURCE_SILENT: { en: "the entity's monitoring has stopped sending its alerts", ar: 'توقفت أنظمة المراقبة لدى الجهة عن إرسال تنبيهاتها' },
  TCP_BANNER_MISMATCH: { en: "the server's greeting is not the expected one", ar: 'جاءت رسالة الترحيب من الخادم مخالفة للمتوقع' },
  TCP_CLOSED: { en: 'the connection was closed before the server sent anything', ar: 'أُغلق الاتصال قبل أن يرسل الخادم أي بيانات' },
  TLS_CERT_EXPIRED: { en: 'the security (TLS) certificate has expired', ar: `انتهت صلاحية شهادة الأمان (${ltrIsolate('TLS')})` },
  TLS_CERT_EXPIRING: { en: 'the security (TLS) certificate expires soon', ar: `تقترب صلاحية شهادة الأمان (${ltrIsolate('TLS')}) من الانتهاء` },
  TLS_CERT_NOT_YET_VALID: { en: 'the security (TLS) certificate is not valid yet', ar: `لم يبدأ سريان شهادة الأمان (${ltrIsolate('TLS')}) بعد` },
  TLS_CERT_UNTRUSTED: { en: 'the security (TLS) certificate is not trusted', ar: `شهادة الأمان (${ltrIsolate('TLS')}) غير موثوقة` },
  TLS_HOSTNAME_MISMATCH: {
    en: "the security (TLS) certificate does not match the service's address",
    ar: `لا تطابق شهادة الأمان (${ltrIsolate('TLS')}) عنوان الخدمة`,
  },
  TLS_HANDSHAKE_FAILED: { en: 'the secure (TLS) connection could not be established', ar: `تعذّر إنشاء الاتصال الآمن (${ltrIsolate('TLS')})` },
  TLS_PLAINTEXT_ANSWER: {
    en: 'the server answered without TLS (plain HTTP, or another protocol) where a secure connection was expected',
    ar: `أجاب الخادم دون اتصال آمن (${ltrIsolate('TLS')})، بنص ${ltrIsolate('HTTP')} عادي أو ببروتوكول آخر، حيث يُنتظر اتصال آمن`,
  },
  GRPC_NOT_SERVING: { en: 'the service reports that it is not serving', ar: 'تُفيد الخدمة بأنها لا تعمل' },
  GRPC_UNKNOWN: { en: 'the service cannot say whether it is serving', ar: 'لا تستطيع الخدمة أن تُفيد بحالة عملها' },
  GRPC_SERVICE_UNKNOWN: { en: 'the server does not know the service', ar: 'لا يعرف الخادم الخدمة المطلوبة' },
  GRPC_UNAVAILABLE: { en: 'the service is unavailable', ar: 'الخدمة غير متاحة' },
  GRPC_DEADLINE_EXCEEDED: { en: 'the service did not answer within its deadline', ar: 'لم تُجب الخدمة ضمن المهلة المحددة لها' },
  GRPC_STATUS: { en: 'the service answered with an error', ar: 'أجابت الخدمة برسالة خطأ' },
  GRPC_PROTOCOL_ERROR: { en: `the server's answer is not valid gRPC`, ar: `جاءت إجابة الخادم مخالفة لبروتوكول ${ltrIsolate('gRPC')}` },
  WS_HANDSHAKE_INVALID: {
    en: 'the server did not open the WebSocket connection correctly',
    ar: `لم يفتح الخادم اتصال ${ltrIsolate('WebSocket')} بالشكل الصحيح`,
  },
  WS_MESSAGE_MISMATCH: { en: "the service's message is not the expected one", ar: 'جاءت رسالة الخدمة مخالفة للمتوقع' },
  WS_NO_MESSAGE: { en: 'the service sent no message within the time limit', ar: 'لم ترسل الخدمة أي رسالة خلال المهلة المحددة' },
  WS_CLOSED: { en: 'the service closed the connection before sending a message', ar: 'أغلقت الخدمة الاتصال قبل أن ترسل أي رسالة' },
  WS_PROTOCOL_ERROR: {
    en: "the server's WebSocket messages are not valid",
    ar: `جاءت رسائل ${ltrIsolate('WebSocket')} من الخادم غير صالحة`,
  },
  WS_MESSAGE_TOO_LARGE: {
    en: "the service's message is larger than the monitoring reads, and the expected content is not in the part read",
    ar: 'رسالة الخدمة أكبر من الحجم الذي تقرؤه المراقبة، ولا يتضمن الجزء المقروء منها المحتوى المتوقع',
  },
  ICMP_NO_REPLY: { en: 'the server did not answer ping within the time limit', ar: `لم يُجب الخادم على ${ltrIsolate('ping')} خلال المهلة المحددة` },
  ICMP_UNREACHABLE: { en: 'the network reports that the server cannot be reached', ar: 'تُفيد الشبكة بتعذّر الوصول إلى الخادم' },
  ICMP_NOT_PERMITTED: {
    en: 'the monitoring is not permitted to send ping on its host',
    ar: `لا يُسمح للمراقبة بإرسال ${ltrIsolate('ping')} من الجهاز الذي تعمل عليه`,
  },
  ICMP_UNAVAILABLE: { en: 'the monitoring has no ping tool installed', ar: `لا تتوفر أداة ${ltrIsolate('ping')} لدى المراقبة` },
  CONFIG: { en: 'the check is misconfigured in raqib', ar: 'إعدادات الفحص في رقيب غير صحيحة' },
  ERROR: { en: 'an unexpected error', ar: 'حدث خطأ غير متوقع' },
};

/** Names of the HTTP statuses a failing service most often answers with. */
export const HTTP_STATUS_NAMES: Readonly<Record<number, Bilingual>> = {
  400: { en: 'Bad Request', ar: 'طلب غير صالح' },
  401: { en: 'Unauthorized', ar: 'غير مصرّح' },
  403: { en: 'Forbidden', ar: 'الوصول ممنوع' },
  404: { en: 'Not Found', ar: 'غير موجود' },
  408: { en: 'Request Timeout', ar: 'انتهت مهلة الطلب' },
  429: { en: 'Too Many Requests', ar: 'طلبات كثيرة جداً' },
  500: { en: 'Internal Server Error', ar: 'خطأ داخلي في الخادم' },
  502: { en: 'Bad Gateway', ar: 'بوابة غير صالحة' },
  503: { en: 'Service Unavailable', ar: 'الخدمة غير متاحة' },
  504: { en: 'Gateway Timeout', ar: 'انتهت مهلة البوابة' },
};

function isKnown(code: string): code is ResultCode {
  return Object.prototype.hasOwnProperty.call(CODE_REASONS, code);
}

/**
 * Why a check fails, in plain words. HTTP_STATUS names the status when known ("answered with
 * HTTP status 503 (Service Unavailable)"); an unknown code gives "failed with error X".
 */
export function codeReason(code: string, httpStatus?: number): Bilingual {
  if (code === 'HTTP_STATUS' && httpStatus !== undefined) {
    const name = HTTP_STATUS_NAMES[httpStatus];
    return {
      en: `answered with HTTP status ${httpStatus}${name ? ` (${name.en})` : ''}`,
      ar: `أجابت الخدمة برمز الحالة ${ltrIsolate(`HTTP ${httpStatus}`)}${name ? ` (${name.ar})` : ''}`,
    };
  }
  if (isKnown(code)) return CODE_REASONS[code];
  return { en: `failed with error ${code}`, ar: `أخفق الفحص بالخطأ ${ltrIsolate(code)}` };
}

/** Reason shown for a failing check whose result is not in the evidence. */
export const UNKNOWN_REASON: Bilingual = { en: 'failing (no details recorded)', ar: 'أخفق الفحص (دون تفاصيل مسجلة)' };
