import { AlertLanguage } from '@vigint/contracts';

/** Words of the instant notices and the digest, per language (the e-mails keep their own in templates/). */
export interface NoticeMessages {
  locale: string;
  title: (risk: string, camera: string, type: string) => string;
  body: (summary: string, camera: string, time: string) => string;
  labels: { open: string; acknowledge: string; snooze15: string; snooze60: string };
  digestSubject: (day: string) => string;
  digestIntro: (count: number, day: string) => string;
  digestNone: string;
  digestPerCamera: string;
  digestTop: string;
  digestOffline: string;
  digestSpend: (amount: string) => string;
}

export const NOTICE_MESSAGES: Record<AlertLanguage, NoticeMessages> = {
  [AlertLanguage.En]: {
    locale: 'en-GB',
    title: (risk, camera, type) => `${risk} · ${camera}: ${type}`,
    body: (summary, camera, time) => `${summary}\n${camera} — ${time}`,
    labels: { open: 'Open', acknowledge: 'Acknowledge', snooze15: 'Snooze 15 min', snooze60: 'Snooze 1 h' },
    digestSubject: (day) => `[Vigint] Daily summary — ${day}`,
    digestIntro: (n, day) => (n === 1 ? `1 incident on ${day}.` : `${n} incidents on ${day}.`),
    digestNone: 'No incident.',
    digestPerCamera: 'Incidents per camera',
    digestTop: 'Top incidents',
    digestOffline: 'Cameras that went offline',
    digestSpend: (amount) => `AI spend today: ${amount}`,
  },
  [AlertLanguage.Fr]: {
    locale: 'fr-FR',
    title: (risk, camera, type) => `${risk} · ${camera} : ${type}`,
    body: (summary, camera, time) => `${summary}\n${camera} — ${time}`,
    labels: { open: 'Ouvrir', acknowledge: 'Acquitter', snooze15: 'Pause 15 min', snooze60: 'Pause 1 h' },
    digestSubject: (day) => `[Vigint] Résumé du ${day}`,
    digestIntro: (n, day) => (n <= 1 ? `${n} incident le ${day}.` : `${n} incidents le ${day}.`),
    digestNone: 'Aucun incident.',
    digestPerCamera: 'Incidents par caméra',
    digestTop: 'Principaux incidents',
    digestOffline: 'Caméras passées hors ligne',
    digestSpend: (amount) => `Dépense IA du jour : ${amount}`,
  },
};

export function noticeMessages(language: string | undefined): NoticeMessages {
  return NOTICE_MESSAGES[language === AlertLanguage.Fr ? AlertLanguage.Fr : AlertLanguage.En];
}
