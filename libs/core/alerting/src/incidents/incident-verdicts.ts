import {
  AnalysisStage,
  IncidentType,
  type AnalysisResult,
  type ConfirmVerdict,
  type StageVerdict,
} from '@vigint/contracts';

/**
 * The two stages' verdicts as an incident records them, read from one AnalysisResult. The result carries the
 * final (confirming) verdict in its main fields; the screening stage is known to have said "incident" whenever
 * the confirming one ran, since it runs only on a hit.
 */
export function verdictsOf(a: AnalysisResult): { screen: StageVerdict | null; confirm: ConfirmVerdict | null } {
  const screenCall = a.ai_calls.find((c) => c.stage === AnalysisStage.Screen || c.stage === AnalysisStage.Offline);
  const confirmCall = a.ai_calls.find((c) => c.stage === AnalysisStage.Confirm);
  const final: StageVerdict = {
    model: a.model,
    incident: a.has_security_incident,
    riskLevel: a.risk_level,
    incidentType: a.incident_type,
    description: (a.analysis || a.description).slice(0, 4000),
    confidence: a.confidence,
  };
  if (!confirmCall) return { screen: { ...final, model: screenCall?.model ?? a.model }, confirm: null };
  return {
    screen: {
      ...final,
      model: screenCall?.model ?? a.model,
      incident: true,
      incidentType: a.incident_type === IncidentType.None ? IncidentType.Other : a.incident_type,
    },
    confirm: {
      ...final,
      model: confirmCall.model,
      description: (a.detailed_analysis ?? final.description).slice(0, 4000),
      vetoed: a.flash_veto === true,
      ...(confirmUnanswered(a) ? { unanswered: true } : {}),
      ...(a.veto_reason ? { vetoReason: a.veto_reason.slice(0, 2000) } : {}),
    },
  };
}

/** The confirming model could not answer and the screening verdict stands: the e-mail says so. */
export function confirmUnanswered(a: Pick<AnalysisResult, 'ai_fallback'>): boolean {
  return a.ai_fallback?.stage === AnalysisStage.Confirm;
}

/** The AI's one-line summary: the first sentence of the analysis, at most 200 characters. */
export function summaryOf(a: Pick<AnalysisResult, 'analysis' | 'description'>): string {
  const text = (a.analysis || a.description || '').trim().replace(/\s+/g, ' ');
  const first = /^(.+?[.!?])(\s|$)/.exec(text)?.[1] ?? text;
  return first.length > 200 ? `${first.slice(0, 197)}...` : first;
}
