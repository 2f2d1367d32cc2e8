import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertLanguage, BufferType, RiskLevel } from '@vigint/contracts';
import { ImageAdapter } from '@vigint/image';
import { makeJpegFrames, makeTestVideo } from '@vigint/testing';
import type { DeliveryResult, Incident } from '../../src/backend';
import { createRemoteBackend } from '../../src/remote';
import {
  REPO,
  settle,
  stackHelpers,
  startChild,
  useDistributedStack,
  startOutageProxy,
  videoAttachments,
} from './distributed-stack';

/*
 * Distributed mode with the gateway unreachable for a while: edge agent → api-proxy → BullMQ → worker → SMTP, with
 * real Redis, PostgreSQL, ffmpeg and an SMTP server; only Gemini is the fake REST server ("intrusion, HIGH").
 */

const t = useDistributedStack('distributed-outage');

const { mailsFor, waitFor, waitForMails, agentEnv } = stackHelpers(() => t.stack);

describe('distributed mode with the gateway down for a while', () => {
  it('the agent CLI keeps its incident through a gateway outage and mails it once when the gateway answers again', async () => {
    const proxy = await startOutageProxy(t.stack.gatewayUrl, 4000);
    try {
      const outbox = join(t.work, 'cli-outage-outbox');
      const run = startChild(
        'edge-agent',
        'apps/edge-agent/src/main.ts',
        // A loaded CI machine may need longer than the default 10 s for the replayed alert's reply.
        { ...agentEnv(), API_SERVER_URL: proxy.url, OUTBOX_DRAIN_SECONDS: '90' },
        REPO,
        [
          '--video-input',
          join(REPO, 'samples/intruder.mp4'),
          '--camera-id',
          'dist-outage-cli-cam',
          '--fast',
          '--outbox',
          outbox,
        ],
      );
      const code = await run.exited;
      const out = run.output.join('');
      expect(code, `${out}\n${t.stack.logs()}`).toBe(0);
      expect(proxy.cut).toBeGreaterThan(0); // it did meet the outage
      expect(out).toContain('"status":"queued","destination":"outbox:'); // the pipeline saw it kept, not sent
      const mails = await waitForMails('dist-outage-cli-cam', 1, 60_000);
      await settle(2000);
      expect(mailsFor('dist-outage-cli-cam'), out).toHaveLength(1);
      expect(videoAttachments(mails[0]!)).toHaveLength(1);
      expect(await readdir(join(outbox, 'pending-remote', 'pending'))).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 150_000);

  it('with the gateway down for a while, the incident waits in the outbox and is mailed once when it returns', async () => {
    const clipFile = await makeTestVideo({ seconds: 8, withMovingBox: { startSec: 2, endSec: 6 } });
    const frames = await makeJpegFrames(4, { width: 640, height: 360 });
    const delivered: DeliveryResult[] = [];
    const backend = await createRemoteBackend({
      apiServerUrl: t.stack.gatewayUrl,
      apiKey: t.stack.apiKey,
      outboxDir: join(t.work, 'outage-outbox'),
      image: new ImageAdapter(),
      replayBaseDelayMs: 200,
      replayMaxDelayMs: 1000,
      drainTimeoutMs: 60_000,
      onDelivered: (_key, r) => delivered.push(r),
    });
    try {
      const analysis = await backend.analyze({
        cameraId: 'dist-outage-cam',
        cameraName: 'dist-outage-cam',
        frames,
        bufferType: BufferType.Short,
        language: AlertLanguage.En,
        masks: [],
      });
      expect(analysis.has_security_incident).toBe(true);

      await t.stack.gateway.stop(); // the gateway goes away
      const startedAt = new Date();
      const incident: Incident = {
        idempotencyKey: `dist-outage-cam-${startedAt.getTime()}`,
        cameraId: 'dist-outage-cam',
        cameraName: 'dist-outage-cam',
        startedAt,
        endedAt: startedAt,
        detectedAt: startedAt,
        riskLevel: RiskLevel.High,
        analysis,
        masks: [],
        language: AlertLanguage.En,
      };
      const first = await backend.deliver(incident, clipFile);
      expect(first.status).toBe('queued');
      await rm(dirname(clipFile), { recursive: true, force: true }); // the agent drops its clip: the outbox has its own
      await settle(1500); // a few failed replays while it is down
      expect(mailsFor('dist-outage-cam')).toHaveLength(0);

      await t.stack.restartGateway();
      await waitFor(() => delivered.length === 1, 60_000);
      expect(delivered[0]!.status, delivered[0]!.detail).toBe('sent');
      const mails = await waitForMails('dist-outage-cam', 1, 30_000);
      await settle(2000);
      expect(mailsFor('dist-outage-cam')).toHaveLength(1);
      expect(videoAttachments(mails[0]!)).toHaveLength(1);
      expect(backend.pending).toBe(0);
    } finally {
      await backend.close();
    }
  }, 180_000);
});
