import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlertStatus,
  JobName,
  JobState,
  QueueName,
  RiskLevel,
  IncidentType,
  AlertLanguage,
  type AlertSendResult,
} from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { cleanupRedisPrefix, testRedisPrefix } from '@vigint/testing';
import { JobQueue, createWorkers, type JobHandlers } from '../../src/index';

/*
 * Issue 16: the first notice must not wait behind the clip e-mails. NoticeSend has a queue of its own, so a
 * notice runs while every `alert` slot is taken by an e-mail that has not finished (a slow SMTP server, a
 * large clip). Real Redis, test prefix; the e-mail handler holds its slot until the test lets it go.
 */
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = testRedisPrefix('notice-queue');
const unused = async (): Promise<never> => {
  throw new Error('unused');
};

let queue: JobQueue;
beforeAll(() => {
  queue = new JobQueue({ redisUrl: REDIS_URL, prefix, log: silentLogger });
});
afterAll(async () => {
  await queue?.close();
  await cleanupRedisPrefix(REDIS_URL, prefix);
});

describe('the notice queue', () => {
  it('runs a first notice while the e-mail slots are all busy', async () => {
    let releaseMail!: () => void;
    const mailHeld = new Promise<void>((r) => (releaseMail = r));
    let mailStarted!: () => void;
    const mailRunning = new Promise<void>((r) => (mailStarted = r));
    const ran: string[] = [];
    const handlers: JobHandlers = {
      [JobName.FrameAnalyze]: unused,
      [JobName.VideoCreate]: unused,
      [JobName.VideoCompress]: unused,
      [JobName.AlertSend]: async (data): Promise<AlertSendResult> => {
        mailStarted();
        await mailHeld;
        ran.push('email');
        return {
          alertId: data.alertKey,
          status: AlertStatus.Delivered,
          to: 'x@example.com',
          attempts: 1,
          clipAttached: false,
        };
      },
      [JobName.NoticeSend]: async () => {
        ran.push('notice');
        return { outcomes: [] };
      },
      [JobName.StorageCleanup]: unused,
      [JobName.ClientErase]: unused,
      [JobName.DigestRun]: unused,
    };
    const pool = createWorkers({
      redisUrl: REDIS_URL,
      prefix,
      log: silentLogger,
      handlers,
      queues: [QueueName.Alert, QueueName.Notice],
      concurrency: { [QueueName.Alert]: 1, [QueueName.Notice]: 1 },
    });
    try {
      await pool.waitUntilReady();
      const mail = await queue.enqueue(JobName.AlertSend, {
        clientId: 'c1',
        apiKeyId: null,
        alertKey: 'yard-1',
        cameraName: 'yard',
        riskLevel: RiskLevel.High,
        incidentType: IncidentType.Intrusion,
        analysis: 'a person at the fence',
        frameBlobKeys: [],
        language: AlertLanguage.En,
        occurredAt: new Date().toISOString(),
      });
      await mailRunning;
      const notice = await queue.enqueue(JobName.NoticeSend, { clientId: 'c1', incidentId: 'inc-2' });
      expect(notice.queue).toBe(QueueName.Notice);
      // On the shared queue this would wait for the e-mail (one slot, held): here it completes first.
      const done = await queue.waitFor(notice.id, 20_000);
      expect(done?.state).toBe(JobState.Completed);
      expect(ran).toEqual(['notice']);
      releaseMail();
      expect((await queue.waitFor(mail.id, 20_000))?.state).toBe(JobState.Completed);
      expect(ran).toEqual(['notice', 'email']);
    } finally {
      releaseMail();
      await pool.close();
    }
  }, 60_000);
});
