import type { AlertLanguage, IncidentType, RiskLevel } from '@vigint/contracts';

export enum AlertTemplate {
  Incident = 'incident',
  /** Sent on request to check the mail settings. */
  Test = 'test',
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
  /** IANA zone for the displayed time (default UTC). */
  timeZone?: string;
}

export interface TestMailData {
  clientName?: string;
  sentAt: Date;
  timeZone?: string;
}

export type AlertTemplateData =
  { template: AlertTemplate.Incident; data: IncidentAlertData } | { template: AlertTemplate.Test; data: TestMailData };

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
  linkIntro: (expires: string) => string;
  linkButton: string;
  footer: string;
  testSubject: string;
  testBody: (when: string) => string;
  language: AlertLanguage;
}
