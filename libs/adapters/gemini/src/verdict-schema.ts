import { AiVerdict } from '@vigint/contracts';
import { toGeminiSchema } from './response-schema';

/** Hints per field: Gemini reads descriptions, and they cost a few tokens only once per request. */
const DESCRIPTIONS: Record<string, string> = {
  incident: 'true only when the images show a security incident happening now',
  incident_type: 'the kind of incident; none when there is no incident',
  risk_level: 'NONE when nothing happens; LOW to CRITICAL by how urgent a human response is',
  description: 'one to three short sentences describing what is visible, in the requested language',
  confidence: 'how sure you are, from 0 to 1',
  frame_indexes: '0-based indexes of the images that show the incident; empty when none',
};

/** The responseSchema sent with every analysis request, derived from the contracts' AiVerdict. */
export const VERDICT_RESPONSE_SCHEMA = toGeminiSchema(AiVerdict, DESCRIPTIONS);
