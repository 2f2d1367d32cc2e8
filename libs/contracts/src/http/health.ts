import { Type, type Static } from '@sinclair/typebox';

export const HealthReply = Type.Object({
  status: Type.String({ description: '"healthy"' }),
  timestamp: Type.Number({ description: 'unix seconds' }),
  services: Type.Record(Type.String(), Type.String()),
  version: Type.Optional(Type.String()),
});
export type HealthReply = Static<typeof HealthReply>;

export const ReadyReply = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  services: Type.Object({ redis: Type.String(), postgres: Type.String() }),
});
export type ReadyReply = Static<typeof ReadyReply>;
