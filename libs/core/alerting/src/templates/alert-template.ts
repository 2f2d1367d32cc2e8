import type { AlertLanguage, IncidentType, RiskLevel } from '@vigint/contracts';

export enum AlertTemplate {
  Incident = 'incident',
  /** Sent on request to check the mail settings. */
  Test = 'test',
  /** A camera sent no picture for longer than its offline delay. */
  CameraOffline = 'camera_offline',
  /** Pictures came back after an offline notice. */
  CameraOnline = 'camera_online',
}

export interface IncidentAlertData {
  cameraName: string;
  incidentType: IncidentType;
  riskLevel: RiskLevel;
  occurredAt: Date;
  analysis: string;
  detailedAnalysis?: string;
  clientName?: string;
  /** `cid:` of the inline thumbnail, when there is one. */
  thumbnailCid?: string;
  clipAttached: boolean;
  /** A clip existed but was over the e-mail budget: the text points to the link instead. */
  clipTooLarge: boolean;
  videoLink?: { url: string; expiresAt: Date };
  /** The clip could not be cut (the reason is logged, not mailed): the snapshot stands in for it. */
  clipFailed?: boolean;
  /** The confirming model could not answer: the screening verdict stands, and the e-mail says so. */
  confirmUnanswered?: boolean;
  /** Signed links to open the incident in the console, acknowledge it, snooze the camera (no sign-in). */
  actionLinks?: { open: string; acknowledge: string; snooze15: string; snooze60: string };
  /** IANA zone for the displayed time (default UTC). */
  timeZone?: string;
}

export interface CameraNoticeData {
  cameraName: string;
  /** When the notice was decided (offline: the delay ran out; online: pictures came back). */
  at: Date;
  /** When the last picture arrived before the outage. */
  outageStartedAt: Date;
  /** Seconds without pictures so far (offline) or in all (online). */
  seconds: number;
  clientName?: string;
  timeZone?: string;
}

export interface TestMailData {
  clientName?: string;
  sentAt: Date;
  timeZone?: string;
}

export type AlertTemplateData =
  | { template: AlertTemplate.Incident; data: IncidentAlertData }
  | { template: AlertTemplate.Test; data: TestMailData }
  | { template: AlertTemplate.CameraOffline | AlertTemplate.CameraOnline; data: CameraNoticeData };

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

/** The words of one language. Functions where word order or plurals differ between languages. */
export interface AlertMessages {
  locale: string;
  incidentTypes: Record<IncidentType, string>;
  riskLevels: Record<RiskLevel, string>;
  subject: (risk: string, type: string, camera: string) => string;
  heading: (type: string) => string;
  greeting: (name?: string) => string;
  intro: string;
  labels: { camera: string; time: string; type: string; risk: string; analysis: string; detailed: string };
  clipAttached: string;
  clipTooLarge: string;
  noClip: string;
  clipFailed: string;
  confirmUnanswered: string;
  offlineSubject: (camera: string) => string;
  offlineBody: (camera: string, duration: string, since: string) => string;
  onlineSubject: (camera: string) => string;
  onlineBody: (camera: string, duration: string, when: string) => string;
  /** "2 min 30 s" */
  duration: (seconds: number) => string;
  linkIntro: (expires: string) => string;
  linkButton: string;
  /** The act-from-the-alert block. */
  actions: { intro: string; open: string; acknowledge: string; snooze15: string; snooze60: string };
  footer: string;
  testSubject: string;
  testBody: (when: string) => string;
  language: AlertLanguage;
}
