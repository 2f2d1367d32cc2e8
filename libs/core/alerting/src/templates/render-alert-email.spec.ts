import { AlertLanguage, IncidentType, RiskLevel } from '@vigint/contracts';
import { describe, expect, it } from 'vitest';
import { AlertTemplate } from './alert-template';
import { renderAlertEmail } from './render-alert-email';

const data = {
  cameraName: 'Cour\r\nBcc: x@evil.test',
  incidentType: IncidentType.FireSmoke,
  riskLevel: RiskLevel.Critical,
  occurredAt: new Date('2026-03-01T10:00:00Z'),
  analysis: 'Smoke <script>alert(1)</script> & flames',
  clipAttached: false,
  clipTooLarge: false,
};

describe('renderAlertEmail', () => {
  it('escapes untrusted text in HTML and keeps the subject on one line', () => {
    const m = renderAlertEmail({ template: AlertTemplate.Incident, data }, AlertLanguage.En);
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('Smoke &lt;script&gt;alert(1)&lt;/script&gt; &amp; flames');
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.subject).toContain('Fire or smoke (critical risk)');
    expect(m.text).toContain('No video clip is available');
    expect(m.text).toContain('1 March 2026');
  });

  it('renders the French template with French dates and labels', () => {
    const m = renderAlertEmail(
      { template: AlertTemplate.Incident, data: { ...data, timeZone: 'Europe/Paris' } },
      AlertLanguage.Fr,
    );
    expect(m.subject).toContain('Incendie ou fumée (risque critique)');
    expect(m.text).toContain('1 mars 2026');
    expect(m.text).toContain('11:00:00');
    expect(m.text).toContain("Type d'incident: Incendie ou fumée");
  });

  it('carries the act-from-the-alert links in HTML and text, in the client language', () => {
    const actionLinks = {
      open: 'https://v.example/console/act/open.sig',
      acknowledge: 'https://v.example/console/act/ack.sig',
      snooze15: 'https://v.example/console/act/s15.sig',
      snooze60: 'https://v.example/console/act/s60.sig?a=1&b=2',
    };
    const en = renderAlertEmail({ template: AlertTemplate.Incident, data: { ...data, actionLinks } }, AlertLanguage.En);
    expect(en.text).toContain(`Open in the console: ${actionLinks.open}`);
    expect(en.text).toContain(`Acknowledge: ${actionLinks.acknowledge}`);
    expect(en.text).toContain(`Snooze this camera 15 min: ${actionLinks.snooze15}`);
    expect(en.text).toContain(`Snooze this camera 1 h: ${actionLinks.snooze60}`);
    expect(en.html).toContain('href="https://v.example/console/act/s60.sig?a=1&amp;b=2"');
    expect(en.html).toMatch(/href="https:\/\/v\.example\/console\/act\/ack\.sig"[^>]*>\s*Acknowledge/);
    const fr = renderAlertEmail({ template: AlertTemplate.Incident, data: { ...data, actionLinks } }, AlertLanguage.Fr);
    expect(fr.text).toContain(`Mettre cette caméra en pause 1 h: ${actionLinks.snooze60}`);
    expect(fr.html).toContain('Acquitter');
    // No links given (local mode): no block.
    expect(renderAlertEmail({ template: AlertTemplate.Incident, data }, AlertLanguage.En).text).not.toContain(
      'console',
    );
  });

  it('renders the test mail', () => {
    const m = renderAlertEmail({ template: AlertTemplate.Test, data: { sentAt: new Date() } }, AlertLanguage.Fr);
    expect(m.subject).toBe('[Vigint] E-mail de test');
  });
});
