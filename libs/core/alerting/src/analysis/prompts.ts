import { AlertLanguage, IncidentType, RiskLevel, type AiVerdict } from '@vigint/contracts';

/*
 * Prompt builders for the two analysis stages. Provider-neutral text: the JSON shape itself is enforced by
 * the response schema, so the prompts only say what to look for and in which language to write.
 */

const LANGUAGE_NAME: Record<AlertLanguage, string> = {
  [AlertLanguage.En]: 'English',
  [AlertLanguage.Fr]: 'French',
};

const INCIDENT_TYPES = Object.values(IncidentType).join(', ');
const RISK_LEVELS = Object.values(RiskLevel).join(', ');

export interface ScreenPromptInput {
  language: AlertLanguage;
  frameCount: number;
  cameraName?: string;
  /** Seconds the frames span (the short buffer is about 3 s). */
  spanSeconds?: number;
}

export interface ConfirmPromptInput extends ScreenPromptInput {
  /** What the screening model said; the confirming model checks it. */
  screening: AiVerdict;
}

function header(input: ScreenPromptInput): string[] {
  const camera = input.cameraName ? ` from the camera "${input.cameraName}"` : '';
  const span = input.spanSeconds ? ` over about ${Math.round(input.spanSeconds)} s` : '';
  return [
    'You watch security camera footage for a home or small business owner.',
    input.frameCount > 0
      ? `You get ${input.frameCount} consecutive frame(s)${camera}${span}, oldest first, indexed from 0. Black areas are privacy masks: ignore them.`
      : `You get a short video clip${camera}${span}; frame_indexes are seconds from its start.`,
  ];
}

function rules(language: AlertLanguage): string[] {
  return [
    `Incident types: ${INCIDENT_TYPES}. Risk levels: ${RISK_LEVELS}.`,
    'Ordinary activity (people walking by, residents, deliveries, pets, cars, lighting changes) is not an incident.',
    `Write "description" in ${LANGUAGE_NAME[language]}, plainly, without speculation about identity.`,
    'Answer with the JSON object only.',
  ];
}

/** Stage 1: the fast model screens the short buffer. Errs towards reporting, the second stage can veto. */
export function buildScreenPrompt(input: ScreenPromptInput): string {
  return [
    ...header(input),
    'Decide whether these frames show a security incident: theft, intrusion, violence, a fall, vandalism, fire or smoke, or another danger.',
    'When in doubt, report it: a stronger model checks every reported incident.',
    ...rules(input.language),
  ].join('\n');
}

/** Stage 2: the stronger model sees the long buffer and has the final word (confirm or veto). */
export function buildConfirmPrompt(input: ConfirmPromptInput): string {
  const s = input.screening;
  return [
    ...header(input),
    `A first, faster model looked at the last few frames and reported: incident_type=${s.incident_type}, risk_level=${s.risk_level}, "${s.description}".`,
    'You see a longer stretch of footage. You have the final word: set "incident" to true only if the footage really shows that incident (or another one); set it to false when the first model was wrong, and then say in "description" why it was a false alarm.',
    'An e-mail alert is sent to the owner only when you confirm.',
    ...rules(input.language),
  ].join('\n');
}
