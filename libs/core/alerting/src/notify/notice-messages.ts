import { AlertLanguage } from '@vigint/contracts';

/** Words of the instant notices and the digest, per language (the e-mails keep their own in templates/). */
export interface NoticeMessages {
  locale: string;
  title: (risk: string, camera: string, type: string) => string;
  body: (summary: string, camera: string, time: string) => string;
  labels: { open: string; acknowledge: string; snooze15: string; snooze60: string };
  digestSubject: (day: string) => string;
  digestIntro: (count: number) => string;
  digestNone: string;
  digestPerCamera: string;
  digestTop: string;
  digestOffline: string;
  digestSpend: (amount: string) => string;
  /** Camera states as the digest names them. */
  cameraStates: Record<string, string>;
}

export const NOTICE_MESSAGES: Record<AlertLanguage, NoticeMessages> = {
  [AlertLanguage.En]: {
    locale: 'en-GB',
    title: (risk, camera, type) => `${risk} · ${camera}: ${type}`,
    body: (summary, camera, time) => `${summary}\n${camera} — ${time}`,
    labels: { open: 'Open', acknowledge: 'Acknowledge', snooze15: 'Snooze 15 min', snooze60: 'Snooze 1 h' },
    digestSubject: (day) => `[Vigint] Daily summary — ${day}`,
    digestIntro: (n) => (n === 1 ? '1 incident in the last 24 hours.' : `${n} incidents in the last 24 hours.`),
    digestNone: 'No incident in the last 24 hours.',
    digestPerCamera: 'Incidents per camera',
    digestTop: 'Top incidents',
    digestOffline: 'Cameras that went offline',
    digestSpend: (amount) => `AI spend over these 24 hours: ${amount}`,
    cameraStates: {
      connecting: 'connecting',
      live: 'live',
      reconnecting: 'reconnecting',
      failed: 'offline',
      ended: 'stopped',
    },
  },
  [AlertLanguage.Fr]: {
    locale: 'fr-FR',
    title: (risk, camera, type) => `${risk} · ${camera} : ${type}`,
    body: (summary, camera, time) => `${summary}\n${camera} — ${time}`,
    labels: { open: 'Ouvrir', acknowledge: 'Acquitter', snooze15: 'Pause 15 min', snooze60: 'Pause 1 h' },
    digestSubject: (day) => `[Vigint] Résumé du ${day}`,
    digestIntro: (n) => (n <= 1 ? `${n} incident ces dernières 24 heures.` : `${n} incidents ces dernières 24 heures.`),
    digestNone: 'Aucun incident ces dernières 24 heures.',
    digestPerCamera: 'Incidents par caméra',
    digestTop: 'Principaux incidents',
    digestOffline: 'Caméras passées hors ligne',
    digestSpend: (amount) => `Dépense IA sur ces 24 heures : ${amount}`,
    cameraStates: {
      connecting: 'connexion',
      live: 'en direct',
      reconnecting: 'reconnexion',
      failed: 'hors ligne',
      ended: 'arrêtée',
    },
  },
};

export function noticeMessages(language: string | undefined): NoticeMessages {
  return NOTICE_MESSAGES[language === AlertLanguage.Fr ? AlertLanguage.Fr : AlertLanguage.En];
}
