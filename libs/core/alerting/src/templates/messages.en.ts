import { AlertLanguage, IncidentType, RiskLevel } from '@vigint/contracts';
import type { AlertMessages } from './alert-template';

export const EN: AlertMessages = {
  language: AlertLanguage.En,
  locale: 'en-GB',
  incidentTypes: {
    [IncidentType.Theft]: 'Theft',
    [IncidentType.Intrusion]: 'Intrusion',
    [IncidentType.Violence]: 'Violence',
    [IncidentType.Fall]: 'Fall',
    [IncidentType.Vandalism]: 'Vandalism',
    [IncidentType.FireSmoke]: 'Fire or smoke',
    [IncidentType.Other]: 'Incident',
    [IncidentType.None]: 'No incident',
  },
  riskLevels: {
    [RiskLevel.None]: 'none',
    [RiskLevel.Low]: 'low',
    [RiskLevel.Medium]: 'medium',
    [RiskLevel.High]: 'high',
    [RiskLevel.Critical]: 'critical',
  },
  subject: (risk, type, camera) => `[Vigint] ${type} (${risk} risk) — ${camera}`,
  heading: (type) => `Alert: ${type}`,
  greeting: (name) => (name ? `Hello ${name},` : 'Hello,'),
  intro: 'Vigint detected a possible security incident on one of your cameras.',
  labels: {
    camera: 'Camera',
    time: 'Time',
    type: 'Incident type',
    risk: 'Risk level',
    analysis: 'Analysis',
    detailed: 'Detailed analysis',
  },
  clipAttached: 'The video clip is attached to this e-mail.',
  clipTooLarge: 'The video clip is too large for e-mail: use the private link below.',
  noClip: 'No video clip is available for this alert.',
  linkIntro: (expires) => `Watch the clip with this private link (valid until ${expires}):`,
  linkButton: 'Watch the clip',
  footer:
    'You receive this e-mail because alerts are enabled for your Vigint account. Do not forward the private link.',
  testSubject: '[Vigint] Test e-mail',
  testBody: (when) => `This is a test e-mail from Vigint, sent ${when}. Your alert e-mails will arrive like this one.`,
};
