import { PrismaPg } from '@prisma/adapter-pg';
import { AppError, ErrorCode } from '@vigint/contracts';
import type { Logger } from '@vigint/logger';
import { AiBudgetRepository } from './ai-budget.repository';
import { AlertsRepository } from './alerts.repository';
import { ApiKeysRepository } from './api-keys.repository';
import { ArtifactsRepository } from './artifacts.repository';
import { AuditRepository } from './audit.repository';
import { CamerasRepository } from './cameras.repository';
import { ClientsRepository } from './clients.repository';
import { ConsoleSettingsRepository } from './console-settings.repository';
import { NoticeDeliveriesRepository } from './notice-deliveries.repository';
import { mapDbError, withDbErrors } from './db-error';
import { PrismaClient } from './generated/prisma/client';
import { IncidentsRepository } from './incidents.repository';
import { UsageRepository } from './usage.repository';

export interface Db {
  clients: ClientsRepository;
  apiKeys: ApiKeysRepository;
  usage: UsageRepository;
  cameras: CamerasRepository;
  incidents: IncidentsRepository;
  alerts: AlertsRepository;
  artifacts: ArtifactsRepository;
  audit: AuditRepository;
  consoleSettings: ConsoleSettingsRepository;
  noticeDeliveries: NoticeDeliveriesRepository;
  aiBudget: AiBudgetRepository;
  /** Resolves when PostgreSQL answers; AppError DEPENDENCY_UNAVAILABLE otherwise (readiness probes). */
  ping(): Promise<void>;
  /** Closes the pool; call on shutdown. */
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** Pool size (pg default 10). */
  max?: number;
  /** How long a new connection may take before the query fails (ms). */
  connectionTimeoutMillis?: number;
  /** How long incidents and cameras are kept (default 72 h, as artifacts). */
  retentionHours?: number;
}

/**
 * The database adapter: Prisma 7 client over @prisma/adapter-pg (no Rust engine at run time), exposed only
 * as repositories returning plain records. Nothing connects until the first query.
 */
export function createDb(databaseUrl: string, log?: Logger, options: CreateDbOptions = {}): Db {
  const dbLog = log?.child({ module: 'db' });
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: options.max,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
  });
  const prisma = new PrismaClient({ adapter });
  const incidents = new IncidentsRepository(prisma, options.retentionHours);
  let closed = false;
  return {
    clients: withDbErrors(new ClientsRepository(prisma)),
    apiKeys: withDbErrors(new ApiKeysRepository(prisma)),
    usage: withDbErrors(new UsageRepository(prisma)),
    cameras: withDbErrors(new CamerasRepository(prisma, incidents, options.retentionHours)),
    incidents: withDbErrors(incidents),
    alerts: withDbErrors(new AlertsRepository(prisma)),
    artifacts: withDbErrors(new ArtifactsRepository(prisma)),
    audit: withDbErrors(new AuditRepository(prisma)),
    consoleSettings: withDbErrors(new ConsoleSettingsRepository(prisma)),
    noticeDeliveries: withDbErrors(new NoticeDeliveriesRepository(prisma)),
    aiBudget: withDbErrors(new AiBudgetRepository(prisma)),
    async ping() {
      try {
        await prisma.$queryRaw`SELECT 1`;
      } catch (err) {
        const mapped = mapDbError(err);
        dbLog?.warn({ err: (err as Error).message }, 'database ping failed');
        throw mapped instanceof AppError
          ? mapped
          : new AppError(ErrorCode.DependencyUnavailable, 'database unavailable', { cause: err });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
    },
  };
}
