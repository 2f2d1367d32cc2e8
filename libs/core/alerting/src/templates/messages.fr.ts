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
  linkIntro: (expires) => `Regardez la vidéo avec ce lien privé (valable jusqu'au ${expires}) :`,
  linkButton: 'Voir la vidéo',
  footer:
    'Vous recevez cet e-mail car les alertes sont activées sur votre compte Vigint. Ne transférez pas le lien privé.',
  testSubject: '[Vigint] E-mail de test',
  testBody: (when) => `Ceci est un e-mail de test de Vigint, envoyé le ${when}. Vos alertes arriveront comme celui-ci.`,
};
