/** The SMS gateway's request: each value escaped for where the template puts it. */
import { describe, expect, it } from 'vitest';
import { gatewayRequest } from '../../agent/team/sms-request.js';

const values = { to: '+966500000001', text: 'خدمة "المواعيد" <متوقفة> & عادت', reference: 'DGA-1', event: 'report_filed', id: 'k' };
const template = (contentType: string, body: string) => ({
  method: 'POST' as const,
  url: 'https://sms.example/send?to={{to}}',
  headers: { 'Content-Type': contentType },
  body,
});

describe('the gateway request', () => {
  it('escapes values for an XML body as XML, so a SOAP gateway gets a well-formed document', () => {
    const r = gatewayRequest(template('text/xml; charset=utf-8', '<msg><to>{{to}}</to><text>{{text}}</text></msg>'), values);
    expect(r.body).toBe('<msg><to>+966500000001</to><text>خدمة &quot;المواعيد&quot; &lt;متوقفة&gt; &amp; عادت</text></msg>');
    expect(gatewayRequest(template('application/soap+xml', '<t>{{text}}</t>'), values).body).toContain('&amp;');
  });

  it('makes a lone surrogate U+FFFD rather than fail to encode the url or the body', () => {
    const broken = { ...values, text: 'x\uD800y' };
    const r = gatewayRequest({ ...template('application/json', '{"t":"{{text}}"}'), url: 'https://sms.example/send?t={{text}}' }, broken);
    expect(r.url).toBe('https://sms.example/send?t=x%EF%BF%BDy');
    expect(JSON.parse(r.body!)).toEqual({ t: 'x\uFFFDy' });
  });
});
