import { Value } from '@sinclair/typebox/value';
import { ClientConsoleSettings, NoticeChannels } from '@vigint/contracts';
import { parseIntId, requireIntId } from './db-ids';
import type { Prisma, PrismaClient } from './generated/prisma/client';

export interface DigestSchedule {
  clientId: string;
  timeZone: string;
  digestHour: number;
  lastDigestDay: string | null;
}

const DEFAULTS: ClientConsoleSettings = { timeZone: 'UTC', channels: {}, digestEnabled: false, digestHour: 8 };

/** Reads stored channels defensively: a row written by an older version never breaks a page or a notice. */
function channelsOf(json: unknown): NoticeChannels {
  return Value.Check(NoticeChannels, json) ? json : {};
}

/** A client's console settings (time zone, instant-notice channels, digest); defaults when never saved. */
export class ConsoleSettingsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async get(clientId: string): Promise<ClientConsoleSettings> {
    const id = parseIntId(clientId);
    if (id === undefined) return { ...DEFAULTS };
    const row = await this.prisma.clientSettings.findUnique({ where: { clientId: id } });
    if (!row) return { ...DEFAULTS };
    return {
      timeZone: row.timeZone,
      channels: channelsOf(row.channels),
      digestEnabled: row.digestEnabled,
      digestHour: row.digestHour,
    };
  }

  async update(clientId: string, patch: Partial<ClientConsoleSettings>): Promise<ClientConsoleSettings> {
    const id = requireIntId(clientId, 'client');
    const data = {
      ...(patch.timeZone !== undefined ? { timeZone: patch.timeZone } : {}),
      ...(patch.channels !== undefined ? { channels: patch.channels as Prisma.InputJsonValue } : {}),
      ...(patch.digestEnabled !== undefined ? { digestEnabled: patch.digestEnabled } : {}),
      ...(patch.digestHour !== undefined ? { digestHour: patch.digestHour } : {}),
      updatedAt: new Date(),
    };
    await this.prisma.clientSettings.upsert({
      where: { clientId: id },
      create: { clientId: id, ...data },
      update: data,
    });
    return this.get(clientId);
  }

  /** Clients with the digest on: the scheduler works out whose local hour it is. */
  async digestSchedules(): Promise<DigestSchedule[]> {
    const rows = await this.prisma.clientSettings.findMany({ where: { digestEnabled: true } });
    return rows.map((r) => ({
      clientId: String(r.clientId),
      timeZone: r.timeZone,
      digestHour: r.digestHour,
      lastDigestDay: r.lastDigestDay,
    }));
  }

  /** Claims the digest of `day` for the client; false when it was already claimed (one digest per day). */
  async claimDigest(clientId: string, day: string): Promise<boolean> {
    const id = requireIntId(clientId, 'client');
    const { count } = await this.prisma.clientSettings.updateMany({
      where: { clientId: id, digestEnabled: true, OR: [{ lastDigestDay: null }, { lastDigestDay: { lt: day } }] },
      data: { lastDigestDay: day },
    });
    return count === 1;
  }

  /** Gives a claimed day back after a failed send, so the retry can send it. */
  async releaseDigest(clientId: string, day: string, previous: string | null): Promise<void> {
    const id = requireIntId(clientId, 'client');
    await this.prisma.clientSettings.updateMany({
      where: { clientId: id, lastDigestDay: day },
      data: { lastDigestDay: previous },
    });
  }
}
