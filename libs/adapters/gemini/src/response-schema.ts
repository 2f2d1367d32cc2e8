import type { TSchema } from '@sinclair/typebox';

/**
 * The OpenAPI subset Gemini accepts as `responseSchema` (type, format, description, nullable, enum, items,
 * properties, required, min/maxItems). Type names as the SDK's `Type` enum values.
 */
export interface GeminiSchema {
  type: 'STRING' | 'NUMBER' | 'INTEGER' | 'BOOLEAN' | 'ARRAY' | 'OBJECT';
  format?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  items?: GeminiSchema;
  properties?: Record<string, GeminiSchema>;
  required?: string[];
}

interface JsonSchemaLike {
  type?: string;
  const?: unknown;
  anyOf?: JsonSchemaLike[];
  items?: JsonSchemaLike;
  properties?: Record<string, JsonSchemaLike>;
  required?: string[];
  description?: string;
}

/**
 * Converts a TypeBox schema into Gemini's subset. Keywords Gemini rejects or ignores (maxLength, minimum,
 * maximum, $id...) are dropped: the reply is validated against the full TypeBox schema afterwards anyway.
 * `descriptions` adds per-property hints (top level), which steer the model more than the types do.
 */
export function toGeminiSchema(schema: TSchema, descriptions: Record<string, string> = {}): GeminiSchema {
  return convert(schema as unknown as JsonSchemaLike, '', descriptions);
}

function convert(s: JsonSchemaLike, path: string, descriptions: Record<string, string>): GeminiSchema {
  const description = descriptions[path] ?? s.description;
  const withDescription = (g: GeminiSchema): GeminiSchema => (description ? { ...g, description } : g);

  if (s.anyOf) {
    const nonNull = s.anyOf.filter((a) => a.type !== 'null');
    const nullable = nonNull.length < s.anyOf.length;
    if (nonNull.length > 0 && nonNull.every((a) => typeof a.const === 'string')) {
      const g: GeminiSchema = { type: 'STRING', format: 'enum', enum: nonNull.map((a) => a.const as string) };
      return withDescription(nullable ? { ...g, nullable } : g);
    }
    if (nonNull.length === 1 && nullable) return { ...convert(nonNull[0]!, path, descriptions), nullable: true };
    throw new Error(`toGeminiSchema: unsupported union at '${path || '/'}'`);
  }
  if (typeof s.const === 'string') return withDescription({ type: 'STRING', format: 'enum', enum: [s.const] });
  switch (s.type) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
      return withDescription({ type: s.type.toUpperCase() as GeminiSchema['type'] });
    case 'array':
      if (!s.items) throw new Error(`toGeminiSchema: array without items at '${path}'`);
      return withDescription({ type: 'ARRAY', items: convert(s.items, `${path}[]`, descriptions) });
    case 'object': {
      const properties: Record<string, GeminiSchema> = {};
      for (const [key, value] of Object.entries(s.properties ?? {})) {
        properties[key] = convert(value, path ? `${path}.${key}` : key, descriptions);
      }
      return withDescription({
        type: 'OBJECT',
        properties,
        ...(s.required?.length ? { required: [...s.required] } : {}),
      });
    }
    default:
      throw new Error(`toGeminiSchema: unsupported type '${String(s.type)}' at '${path || '/'}'`);
  }
}
