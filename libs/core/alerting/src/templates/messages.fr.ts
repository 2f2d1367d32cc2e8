import { AlertLanguage, IncidentType, RiskLevel } from '@vigint/contracts';
import type { AlertMessages } from './alert-template';

export const FR: AlertMessages = {
  language: AlertLanguage.Fr,
  locale: 'fr-FR',
  incidentTypes: {
    [IncidentType.Theft]: 'Vol',
    [IncidentType.Intrusion]: 'Intrusion',
    [IncidentType.Violence]: 'Violence',
    [IncidentType.Fall]: 'Chute',
    [IncidentType.Vandalism]: 'Vandalisme',
    [IncidentType.FireSmoke]: 'Incendie ou fumée',
    [IncidentType.Other]: 'Incident',
    [IncidentType.None]: 'Aucun incident',
  },
  riskLevels: {
    [RiskLevel.None]: 'nul',
    [RiskLevel.Low]: 'faible',
    [RiskLevel.Medium]: 'moyen',
    [RiskLevel.High]: 'élevé',
    [RiskLevel.Critical]: 'critique',
  },
  subject: (risk, type, camera) => `[Vigint] ${type} (risque ${risk}) — ${camera}`,
  heading: (type) => `Alerte : ${type}`,
  greeting: (name) => (name ? `Bonjour ${name},` : 'Bonjour,'),
  intro: 'Vigint a détecté un possible incident de sécurité sur une de vos caméras.',
  labels: {
    camera: 'Caméra',
    time: 'Heure',
    type: "Type d'incident",
    risk: 'Niveau de risque',
    analysis: 'Analyse',
    detailed: 'Analyse détaillée',
  },
  clipAttached: 'La vidéo est jointe à cet e-mail.',
  clipTooLarge: 'La vidéo est trop lourde pour un e-mail : utilisez le lien privé ci-dessous.',
  noClip: "Aucune vidéo n'est disponible pour cette alerte.",
  clipFailed: "La vidéo n'a pas pu être extraite de l'enregistrement ; l'image ci-dessus montre la scène.",
  confirmUnanswered:
    "La seconde vérification n'a pas pu répondre à temps : cette alerte repose sur la première vérification seule.",
  offlineSubject: (camera) => `[Vigint] Caméra hors ligne — ${camera}`,
  offlineBody: (camera, duration, since) =>
    `La caméra « ${camera} » n'envoie plus d'image depuis ${duration} (dernière image le ${since}). L'agent continue d'essayer de se reconnecter ; aucun incident ne peut être détecté sur cette caméra en attendant.`,
  onlineSubject: (camera) => `[Vigint] Caméra de nouveau en ligne — ${camera}`,
  onlineBody: (camera, duration, when) =>
    `La caméra « ${camera} » envoie de nouveau des images depuis le ${when}, après ${duration} sans image.`,
  duration: (s) => (s >= 60 ? `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}` : `${s} s`),
  linkIntro: (expires) => `Regardez la vidéo avec ce lien privé (valable jusqu'au ${expires}) :`,
  linkButton: 'Voir la vidéo',
  actions: {
    intro: 'Agir sur cette alerte sans vous connecter (liens valables 48 h) :',
    open: 'Ouvrir dans la console',
    acknowledge: 'Acquitter',
    snooze15: 'Mettre cette caméra en pause 15 min',
    snooze60: 'Mettre cette caméra en pause 1 h',
  },
  footer:
    'Vous recevez cet e-mail car les alertes sont activées sur votre compte Vigint. Ne transférez pas le lien privé.',
  testSubject: '[Vigint] E-mail de test',
  testBody: (when) => `Ceci est un e-mail de test de Vigint, envoyé le ${when}. Vos alertes arriveront comme celui-ci.`,
};
