import { execFile } from 'node:child_process';
import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AlertLanguage, BufferType, RiskLevel, type IncidentPage } from '@vigint/contracts';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { ImageAdapter } from '@vigint/image';
import { silentLogger } from '@vigint/logger';
import type { Incident } from '../../src/backend';
import { loadAgentConfig } from '../../src/config';
import { FailoverBackend } from '../../src/failover-backend';
import { createBackend } from '../../src/main';
import { REPO, settle, stackHelpers, useDistributedStack } from './distributed-stack';

/*
 * Failover against the real gateway and worker: the agent (wired as main.ts wires it, with its own AI key and SMTP
 * server) loses the gateway during an event, mails the incident itself once FAILOVER_AFTER_SECONDS has passed, and
 * when the gateway answers again the incident is recorded there once, from the disk outbox, with no second e-mail.
 */

const t = useDistributedStack('failover');
const { mailsFor, waitFor } = stackHelpers(() => t.stack);

/** A switch in front of the gateway: while `down`, every connection is cut (the gateway is unreachable). */
async function startSwitch(target: string): Promise<{ url: string; down: boolean; close(): Promise<void> }> {
  const state = { down: false };
  const server: Server = createServer((req, res) => {
    if (state.down) return req.socket.destroy();
    const up = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => req.socket.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get down() {
      return state.down;
    },
    set down(v: boolean) {
      state.down = v;
      if (v) server.closeAllConnections();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('failover during a gateway outage', () => {
  it('one e-mail from the agent while the gateway is down; back: the incident listed once, no second e-mail', async () => {
    const gw = await startSwitch(t.stack.gatewayUrl);
    const { smtp, gemini } = t.stack;
    const config = loadAgentConfig(
      {
        videoInput: join(REPO, 'samples/intruder.mp4'),
        loop: false,
        configFiles: [],
        outbox: join(t.work, 'failover'),
        fast: true,
        help: false,
      },
      {
        API_SERVER_URL: gw.url,
        VIGINT_API_KEY: t.stack.apiKey,
        GOOGLE_API_KEY: 'fake-key',
        GEMINI_BASE_URL: gemini.baseUrl,
        EMAIL_SMTP_SERVER: smtp.host,
        EMAIL_SMTP_PORT: String(smtp.port),
        EMAIL_FROM: 'Vigint <alerts@vigint.test>',
        EMAIL_TO: 'owner@acme.test',
        FAILOVER_AFTER_SECONDS: '3',
      },
    );
    const image = new ImageAdapter();
    const backend = (await createBackend(
      config,
      image,
      new FfmpegAdapter(silentLogger),
      silentLogger,
    )) as FailoverBackend;
    try {
      const clip = join(t.work, 'failover-clip.mp4');
      await copyFile(join(REPO, 'samples/intruder.mp4'), clip);
      const snapshot = join(t.work, 'failover-snapshot.jpg');
      await promisify(execFile)('ffmpeg', [
        ...['-v', 'error', '-y', '-ss', '3', '-i', clip, '-frames:v', '1', '-q:v', '3', snapshot],
      ]);
      const startedAt = new Date(Date.now() - 15_000);
      const incident: Incident = {
        idempotencyKey: `failover-cam-${startedAt.getTime()}`,
        cameraId: 'failover-cam',
        cameraName: 'Failover yard',
        startedAt,
        endedAt: new Date(startedAt.getTime() + 12_000),
        detectedAt: new Date(startedAt.getTime() + 2_000),
        riskLevel: RiskLevel.High,
        analysis: {
          ...(await backend.analyze({
            cameraId: 'failover-cam',
            cameraName: 'Failover yard',
            frames: [await readFile(snapshot)],
            bufferType: BufferType.Short,
            language: AlertLanguage.En,
            masks: [],
          })),
        },
        snapshot: await readFile(snapshot),
        masks: [],
        language: AlertLanguage.En,
      };

      // The gateway goes away during the event: the alert is due now.
      gw.down = true;
      const began = Date.now();
      const sent = await backend.deliver(incident, clip);
      const tookMs = Date.now() - began;
      expect(sent.status, JSON.stringify(sent)).toBe('sent');
      expect(sent.detail).toMatch(/gateway unreachable \d+ s: sent by the agent/);
      expect(backend.failedOver).toBe(1);
      await waitFor(() => mailsFor('Failover yard').length >= 1, 30_000);
      // The e-mail is out while the gateway is still down (it went by the agent's SMTP, after the failover delay).
      expect(gw.down).toBe(true);
      expect(mailsFor('Failover yard')).toHaveLength(1);
      // What is left to record waits on disk (the remote outbox), not in memory: a restart keeps it.
      const pendingDir = join(config.outbox, 'pending-remote', 'pending');
      const entries = await readdir(pendingDir);
      expect(entries).toHaveLength(1);
      expect(JSON.parse(await readFile(join(pendingDir, entries[0]!, 'meta.json'), 'utf8'))).toMatchObject({
        kind: 'record',
      });
      console.info(`failover: alert mailed ${tookMs} ms after deliver() with FAILOVER_AFTER_SECONDS=3`);

      // The gateway answers again: the outbox records the incident there, under the same key, without mailing it.
      gw.down = false;
      const listed = async (): Promise<IncidentPage> => {
        const r = await fetch(`${t.stack.gatewayUrl}/api/incidents?camera=failover-cam`, {
          headers: { 'x-api-key': t.stack.apiKey },
        });
        return (await r.json()) as IncidentPage;
      };
      let page: IncidentPage = { incidents: [], nextCursor: null };
      await waitFor(() => {
        void listed().then((p) => (page = p));
        // Recorded, then its clip uploaded: the console plays it like any other incident's.
        return (page.incidents ?? []).some((i) => i.deliveries.length > 0 && i.clipArtifactId !== null);
      }, 90_000);
      await settle(3000); // a second e-mail (the gateway mailing the incident too) would arrive within this
      page = await listed();
      expect(page.incidents).toHaveLength(1);
      const rec = page.incidents[0]!;
      expect(rec.idempotencyKey).toContain('failover-cam');
      expect(rec.endedAt).toBe(incident.endedAt.toISOString());
      expect(rec.deliveries).toHaveLength(1);
      expect(rec.deliveries[0]).toMatchObject({ channel: 'email', status: 'sent' });
      expect(rec.deliveries[0]!.detail).toMatch(/sent by the agent/);
      const download = await fetch(`${t.stack.gatewayUrl}/api/video/download/${rec.clipArtifactId}`, {
        headers: { 'x-api-key': t.stack.apiKey },
      });
      expect(download.status).toBe(200);
      expect((await download.arrayBuffer()).byteLength).toBe((await stat(clip)).size);
      expect(mailsFor('Failover yard')).toHaveLength(1);
    } finally {
      await backend.close();
      await gw.close();
    }
  }, 180_000);
});
