import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode, isAppError, RiskLevel } from '@vigint/contracts';

/*
 * What the console reads and changes, through the same tenant-scoped stores as the JSON routes
 * (`app.incidents`, `app.cameras`: the incident store of the one-pipeline work). The console never
 * reaches into the database itself.
 */

export interface ConsoleVerdict {
  model?: string | null;
  riskLevel?: string | null;
  incidentType?: string | null;
  analysis?: string | null;
  description?: string | null;
  vetoed?: boolean;
  vetoReason?: string | null;
}

export interface ConsoleDelivery {
  channel: string;
  status: string;
  at: string;
  attempt?: number;
  detail?: string | null;
}

export interface ConsoleIncident {
  id: string;
  cameraId: string | null;
  cameraName: string;
  startedAt: string;
  endedAt: string | null;
  riskLevel: string;
  incidentType: string;
  summary: string;
  screen: ConsoleVerdict | null;
  confirm: ConsoleVerdict | null;
  clipArtifactId: string | null;
  thumbnailArtifactId: string | null;
  deliveries: ConsoleDelivery[];
  acknowledgedAt: string | null;
}

export interface ConsoleCamera {
  id: string;
  name: string;
  state: string;
  lastFrameAt: string | null;
  snoozedUntil: string | null;
  alertThreshold: string | null;
  incidentsToday: number;
}

export interface ConsoleIncidentQuery {
  camera?: string;
  risk?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

export interface ConsoleStores {
  incidents: {
    list(
      tenant: string,
      query: ConsoleIncidentQuery,
    ): Promise<{ incidents: ConsoleIncident[]; nextCursor: string | null }>;
    get(tenant: string, id: string): Promise<ConsoleIncident | null>;
    acknowledge(tenant: string, id: string, at?: Date): Promise<unknown>;
  };
  cameras: {
    list(tenant: string): Promise<ConsoleCamera[]>;
    get(tenant: string, id: string): Promise<ConsoleCamera | null>;
    snooze(tenant: string, id: string, until: Date | null): Promise<unknown>;
    setThreshold(tenant: string, id: string, level: string | null): Promise<unknown>;
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by tests or the incident store; the console reads through it. */
    consoleStores?: ConsoleStores;
  }
}

/** A NotFound from the services is "no such record" for the pages (which answer 404 themselves). */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (isAppError(err) && err.code === ErrorCode.NotFound) return null;
    throw err;
  }
}

export function storesOf(app: FastifyInstance): ConsoleStores {
  if (app.consoleStores) return app.consoleStores;
  if (!app.hasDecorator('incidents'))
    throw new AppError(ErrorCode.DependencyUnavailable, 'the incident store is not available');
  const { incidents, cameras } = app;
  return {
    incidents: {
      list: (tenant, q) =>
        incidents.list(tenant, { ...q, risk: q.risk as RiskLevel | undefined }) as Promise<{
          incidents: ConsoleIncident[];
          nextCursor: string | null;
        }>,
      get: (tenant, id) => orNull(incidents.get(tenant, id)) as Promise<ConsoleIncident | null>,
      acknowledge: (tenant, id, at) => incidents.acknowledge(tenant, id, at),
    },
    cameras: {
      list: async (tenant) => (await cameras.list(tenant)).cameras,
      get: (tenant, id) => orNull(cameras.get(tenant, id)),
      snooze: (tenant, id, until) => cameras.snooze(tenant, id, until),
      setThreshold: (tenant, id, level) => cameras.setThreshold(tenant, id, (level ?? RiskLevel.Medium) as RiskLevel),
    },
  };
}
