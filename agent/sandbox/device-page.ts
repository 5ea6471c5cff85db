/**
 * The verification page (`verification_uri`): in the real world the person approves the sign-in in
 * the National SSO app on their phone; in the sandbox this page, or a POST to
 * /sandbox/device/approve, stands in for it.
 */
import type { Reply } from './http.js';

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}code,pre{background:#f4f4f4;padding:.1rem .3rem}</style>
</head><body>
<h1>${title}</h1>
${body}
</body></html>
`;
}

export function devicePage(userCode: string, baseUrl: string): string {
  const code = escape(userCode);
  return page(
    'Sandbox sign-in — تسجيل الدخول التجريبي',
    `<p>This is the sandbox authority. A real sign-in is approved in the National SSO app; here you approve it
by hand. Enter the code shown by raqib and the email of the person signing in (the crisis team's manager
or alternate): that email is who signs in, whoever raqib asked for.</p>
<form method="post" action="/sandbox/device/approve">
<p><label>User code <input name="user_code" value="${code}" required></label></p>
<p><label>Email <input name="subject" type="email" required></label></p>
<p><button type="submit">Approve</button></p>
</form>
<form method="post" action="/sandbox/device/deny">
<input type="hidden" name="user_code" value="${code}">
<p><button type="submit">Deny</button></p>
</form>
<p>Or from a shell:</p>
<pre>curl -X POST -H 'Content-Type: application/json' \\
  -d '{"user_code":"${code || 'WDJB-MJHT'}","subject":"manager@entity.gov.sa"}' \\
  ${escape(baseUrl)}/sandbox/device/approve</pre>`,
  );
}

/** `subject`: who approved; the client learns it from /oauth/userinfo, whoever it asked for. */
export function decidedPage(userCode: string, decision: 'approved' | 'denied', subject?: string): Reply {
  const as = subject ? ` as <strong>${escape(subject)}</strong>` : '';
  return {
    status: 200,
    contentType: 'text/html; charset=utf-8',
    text: page(`Sign-in ${decision}`, `<p>The sign-in with code <code>${escape(userCode)}</code> was ${decision}${as}. You may close this page.</p>`),
  };
}
