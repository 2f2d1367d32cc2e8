import { AiFallbackReason, AlertLanguage } from '@vigint/contracts';

export interface FallbackNoteInput {
  /** The service's short reason (finish reason, error status). */
  detail?: string;
  /** Epoch ms when a daily quota resets. */
  resetAt?: number;
  period?: 'day' | 'month';
}

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

const NOTES: Record<AlertLanguage, Record<AiFallbackReason, (i: FallbackNoteInput) => string>> = {
  [AlertLanguage.En]: {
    [AiFallbackReason.ConfirmDeclined]: (i) =>
      `The confirming AI model declined to analyse this footage (${i.detail ?? 'safety filter'}): the first model's verdict stands.`,
    [AiFallbackReason.ConfirmFailed]: (i) =>
      `The confirming AI model could not answer (${i.detail ?? 'error'}): the first model's verdict stands.`,
    [AiFallbackReason.ScreenFailed]: (i) =>
      `The AI model could not answer (${i.detail ?? 'error'}): this alert comes from the offline motion analysis, not from the AI.`,
    [AiFallbackReason.QuotaExhausted]: (i) =>
      `The AI model's daily quota is used up${i.resetAt ? ` until ${hhmm(i.resetAt)} UTC` : ''}: this alert comes from the offline motion analysis, not from the AI.`,
    [AiFallbackReason.BudgetExhausted]: (i) =>
      `This account's AI budget for the ${i.period ?? 'day'} is used up: this alert comes from the offline motion analysis, not from the AI.`,
  },
  [AlertLanguage.Fr]: {
    [AiFallbackReason.ConfirmDeclined]: (i) =>
      `Le modèle d'IA de confirmation a refusé d'analyser ces images (${i.detail ?? 'filtre de sécurité'}) : le verdict du premier modèle est maintenu.`,
    [AiFallbackReason.ConfirmFailed]: (i) =>
      `Le modèle d'IA de confirmation n'a pas pu répondre (${i.detail ?? 'erreur'}) : le verdict du premier modèle est maintenu.`,
    [AiFallbackReason.ScreenFailed]: (i) =>
      `Le modèle d'IA n'a pas pu répondre (${i.detail ?? 'erreur'}) : cette alerte vient de l'analyse de mouvement hors ligne, pas de l'IA.`,
    [AiFallbackReason.QuotaExhausted]: (i) =>
      `Le quota journalier du modèle d'IA est épuisé${i.resetAt ? ` jusqu'à ${hhmm(i.resetAt)} UTC` : ''} : cette alerte vient de l'analyse de mouvement hors ligne, pas de l'IA.`,
    [AiFallbackReason.BudgetExhausted]: (i) =>
      `Le budget d'IA de ce compte pour ${i.period === 'month' ? 'le mois' : 'la journée'} est épuisé : cette alerte vient de l'analyse de mouvement hors ligne, pas de l'IA.`,
  },
};

/** The one sentence an alert carries when a fallback decided, in the alert's language. */
export function fallbackNote(language: AlertLanguage, reason: AiFallbackReason, input: FallbackNoteInput = {}): string {
  return (NOTES[language] ?? NOTES[AlertLanguage.En])[reason](input);
}
