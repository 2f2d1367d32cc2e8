import type { TSchema } from '@sinclair/typebox';
import { AiVerdict } from '@vigint/contracts';

/**
 * The JSON Schema subset OpenAI's Structured Outputs take in strict mode
 * (platform.openai.com/docs/guides/structured-outputs, "Supported schemas"): every object lists all its
 * properties in `required` and sets `additionalProperties: false`; enums are plain string enums.
 * Range and length keywords are dropped: local servers (Ollama, vLLM, llama.cpp) support fewer keywords
 * than OpenAI does, and the reply is validated against the full TypeBox schema afterwards anyway.
 */
export interface StrictJsonSchema {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
  description?: string;
  enum?: string[];
  items?: StrictJsonSchema;
  properties?: Record<string, StrictJsonSchema>;
  required?: string[];
  additionalProperties?: false;
}

interface JsonSchemaLike {
  type?: string;
  const?: unknown;
  anyOf?: JsonSchemaLike[];
  items?: JsonSchemaLike;
  properties?: Record<string, JsonSchemaLike>;
  description?: string;
}

export function toStrictJsonSchema(schema: TSchema, descriptions: Record<string, string> = {}): StrictJsonSchema {
  return convert(schema as unknown as JsonSchemaLike, '', descriptions);
}

function convert(s: JsonSchemaLike, path: string, descriptions: Record<string, string>): StrictJsonSchema {
  const description = descriptions[path] ?? s.description;
  const withDescription = (j: StrictJsonSchema): StrictJsonSchema => (description ? { ...j, description } : j);
  if (s.anyOf) {
    if (s.anyOf.length > 0 && s.anyOf.every((a) => typeof a.const === 'string'))
      return withDescription({ type: 'string', enum: s.anyOf.map((a) => a.const as string) });
    throw new Error(`toStrictJsonSchema: unsupported union at '${path || '/'}'`);
  }
  if (typeof s.const === 'string') return withDescription({ type: 'string', enum: [s.const] });
  switch (s.type) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
      return withDescription({ type: s.type });
    case 'array':
      if (!s.items) throw new Error(`toStrictJsonSchema: array without items at '${path}'`);
      return withDescription({ type: 'array', items: convert(s.items, `${path}[]`, descriptions) });
    case 'object': {
      const properties: Record<string, StrictJsonSchema> = {};
      for (const [key, value] of Object.entries(s.properties ?? {}))
        properties[key] = convert(value, path ? `${path}.${key}` : key, descriptions);
      // Strict mode: optional fields do not exist, every property is required.
      return withDescription({
        type: 'object',
        properties,
        required: Object.keys(properties),
        additionalProperties: false,
      });
    }
    default:
      throw new Error(`toStrictJsonSchema: unsupported type '${String(s.type)}' at '${path || '/'}'`);
  }
}

const DESCRIPTIONS: Record<string, string> = {
  incident: 'true only when the images show a security incident happening now',
  incident_type: 'the kind of incident; none when there is no incident',
  risk_level: 'NONE when nothing happens; LOW to CRITICAL by how urgent a human response is',
  description: 'one to three short sentences describing what is visible, in the requested language',
  confidence: 'how sure you are, from 0 to 1',
  frame_indexes: '0-based indexes of the images that show the incident; empty when none',
};

/** `response_format` of every analysis request: the contracts' AiVerdict as a strict JSON schema. */
export const VERDICT_RESPONSE_FORMAT = {
  type: 'json_schema',
  json_schema: { name: 'ai_verdict', strict: true, schema: toStrictJsonSchema(AiVerdict, DESCRIPTIONS) },
} as const;
