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
  clipFailed: 'The video clip could not be cut from the recording; the picture above shows the scene.',
  confirmUnanswered: 'The second check could not answer in time: this alert rests on the first check alone.',
  offlineSubject: (camera) => `[Vigint] Camera offline — ${camera}`,
  offlineBody: (camera, duration, since) =>
    `Camera "${camera}" has sent no picture for ${duration} (last picture ${since}). The agent keeps trying to reconnect; no incident can be detected on this camera meanwhile.`,
  onlineSubject: (camera) => `[Vigint] Camera back online — ${camera}`,
  onlineBody: (camera, duration, when) =>
    `Camera "${camera}" is sending pictures again since ${when}, after ${duration} without any.`,
  duration: (s) => (s >= 60 ? `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}` : `${s} s`),
  linkIntro: (expires) => `Watch the clip with this private link (valid until ${expires}):`,
  linkButton: 'Watch the clip',
  actions: {
    intro: 'Act on this alert without signing in (links valid 48 h):',
    open: 'Open in the console',
    acknowledge: 'Acknowledge',
    snooze15: 'Snooze this camera 15 min',
    snooze60: 'Snooze this camera 1 h',
  },
  footer:
    'You receive this e-mail because alerts are enabled for your Vigint account. Do not forward the private link.',
  testSubject: '[Vigint] Test e-mail',
  testBody: (when) => `This is a test e-mail from Vigint, sent ${when}. Your alert e-mails will arrive like this one.`,
};
