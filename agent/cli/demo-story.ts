/**
 * The demo's config and its narrator. The narrator reads the agent's own log lines (the same ones
 * an operator reads) and plays the other parts: the failing service, the authority sending
 * guidance, the crisis team adding the actions taken.
 */
import { request } from 'undici';

const TEAM = `crisis_team:
  members:
    - { name: { ar: سارة العتيبي, en: Sara Alotaibi }, role: manager, mobile: "+966500000001", email: sara@demo.example.sa, on_call: true }
    - { name: { ar: خالد الحربي, en: Khalid Alharbi }, role: alternate, mobile: "+966500000002", email: khalid@demo.example.sa }`;

export function demoConfig(serviceUrl: string, dataDir: string): string {
  return `agent: { id: demo-agent, listen: "127.0.0.1:0", data_dir: "${dataDir}", log_level: info }
entity: { code: MOH, name: { ar: وزارة الصحة, en: Ministry of Health } }
defaults: { interval: 1s, timeout: 800ms, retry_interval: 500ms, failure_threshold: 3, success_threshold: 2 }
authority: { mode: sandbox, update_interval: 6s, followup_interval: 1s, final_report_deadline: 1h }
${TEAM}
services:
  - id: appointments
    name: { ar: خدمة المواعيد, en: Appointments }
    beneficiaries_per_day: 120000
    checks:
      - { id: portal, type: http, url: "${serviceUrl}", expect: { body_contains: ok } }
`;
}

export interface StoryDeps {
  say(text: string): void;
  serviceUrl: string;
  finish(code: number): void;
  setHealthy(up: boolean): void;
}

type Line = Record<string, unknown>;

export function narrate(deps: StoryDeps) {
  const { say } = deps;
  let sandboxUrl = '';
  let agentUrl = '';
  let report: { id: string; reference: string } | undefined;
  let guided = false;
  const later = (ms: number, fn: () => void) => setTimeout(fn, ms).unref();
  const post = async (url: string, body: unknown) => {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await res.body.dump();
  };

  return {
    onLog(l: Line): void {
      const msg = l['msg'];
      if (typeof msg === 'string' && msg.startsWith('authority mode sandbox')) sandboxUrl = String(l['url']);
      else if (msg === 'listening' && l['module'] === 'server') agentUrl = `http://127.0.0.1:${String(l['port'])}`;
      else if (msg === 'raqib started') {
        say(`watching "Appointments" (${deps.serviceUrl}) every second; the sandbox authority is at ${sandboxUrl}`);
        later(4_000, () => {
          say('the Appointments service fails (the demo switches it off)');
          deps.setHealthy(false);
        });
      } else if (msg === 'incident opened') say(`detected: outage confirmed after 3 failed probes — incident ${String(l['incident'])}`);
      else if (msg === 'report filed with the authority') {
        report = { id: String(l['id']), reference: String(l['report']) };
        say(`filed: report ${report.reference} (${String(l['type'])}) with the authority, on behalf of the crisis team's manager`);
      } else if (msg === 'report acknowledged by the authority' && report && !guided) {
        guided = true;
        say(`acknowledged by the authority after ${String(l['seconds'])} s`);
        void post(`${sandboxUrl}/sandbox/reports/${report.id}/guidance`, {
          text: {
            ar: 'يرجى تفعيل خطة استمرارية الأعمال وإشعار المستفيدين عبر القنوات الرسمية.',
            en: 'Activate the business continuity plan and inform beneficiaries through official channels.',
          },
        });
      } else if (msg === 'guidance received from the authority') {
        say(`guidance from the authority: "${String(l['text'])}"`);
        later(8_000, () => {
          say('the service is back (the demo switches it on)');
          deps.setHealthy(true);
        });
      } else if (msg === 'delivered' && String(l['summary']).startsWith('update')) say(`update filed: the outage is ongoing (${String(l['summary'])})`);
      else if (msg === 'incident closed') say(`restored: the service answers again (outage of ${String(l['durationSeconds'])} s)`);
      else if (msg === 'delivered' && l['summary'] === 'restoration' && report) {
        say('restoration filed; the crisis team adds the actions taken (raqib reports finalize)');
        void post(`${agentUrl}/api/v1/reports/${encodeURIComponent(report.reference)}/finalize`, {
          actions: 'Restarted the appointment servers and moved traffic to the standby site.',
          root_cause: 'A database connection pool was exhausted after a configuration change.',
        });
      } else if (msg === 'final report filed with the authority') {
        say(`final report filed with the timeline and the actions taken; report ${String(l['report'])} is ${String(l['status'])}. Done.`);
        deps.finish(l['status'] === 'closed' ? 0 : 1);
      }
    },
  };
}
