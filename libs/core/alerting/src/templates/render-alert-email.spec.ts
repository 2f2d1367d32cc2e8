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

  it('renders the test mail', () => {
    const m = renderAlertEmail({ template: AlertTemplate.Test, data: { sentAt: new Date() } }, AlertLanguage.Fr);
    expect(m.subject).toBe('[Vigint] E-mail de test');
  });
});
