import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertLanguage, DeliveryState, IncidentType, RiskLevel } from '@vigint/contracts';
import { ImageAdapter } from '@vigint/image';
import { EmlOutboxMailer } from '@vigint/mailer';
import { makeJpegFrames } from '@vigint/testing';
import { simpleParser } from 'mailparser';
import { readdir, readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryAlertLedger } from '../../src/alert-ledger';
import { AlertService } from '../../src/alert.service';
import { DeliveryPolicy, type ClipCompressor, type IncidentAlertInput } from '../../src/delivery/delivery-policy';
import { createLocalStores } from '../../src/incidents/local-incident-store';

// The policy both modes call: what it attaches, compresses, links and records decides the e-mail.

const image = new ImageAdapter();
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigint-policy-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Stands in for ClipService: "compresses" by writing `to` bytes (or failing). */
function compressor(to: number | Error): ClipCompressor & { calls: number } {
  const c = {
    calls: 0,
    async compressToSize(inFile: string, outFile: string) {
      c.calls += 1;
      if (to instanceof Error) throw to;
      await writeFile(outFile, Buffer.alloc(to, 1));
      return { originalSize: 0, compressedSize: to };
    },
  };
  return c;
}

async function setup(options: { budget: number; compressor?: ClipCompressor; links?: boolean }) {
  const outbox = join(dir, 'outbox');
  const mailer = new EmlOutboxMailer(outbox);
  const alerts = new AlertService({ mailer, ledger: new MemoryAlertLedger(), image, from: 'v@vigint.test' });
  const stores = createLocalStores();
  const policy = new DeliveryPolicy({
    alerts,
    clipBudgetBytes: options.budget,
    compressor: options.compressor,
    incidents: stores.incidents,
    ...(options.links ? { links: { secret: 's3cret', baseUrl: 'https://gw.test/', ttlHours: 48 } } : {}),
  });
  const mails = async () =>
    Promise.all(
      (await readdir(outbox))
        .filter((f) => f.endsWith('.eml'))
        .map(async (f) => simpleParser(await readFile(join(outbox, f)))),
    );
  return { policy, stores, mails };
}

async function input(over: Partial<IncidentAlertInput> = {}): Promise<IncidentAlertInput> {
  const clip = join(dir, 'clip.mp4');
  await writeFile(clip, Buffer.alloc(50_000, 7));
  return {
    tenant: 'local',
    incidentKey: 'yard-1767000000000',
    alertKey: 'yard-1767000000000',
    clientKey: 'local',
    to: 'owner@example.test',
    cameraId: 'yard',
    cameraName: 'Yard',
    riskLevel: RiskLevel.High,
    incidentType: IncidentType.Intrusion,
    analysis: 'A person climbs the fence.',
    language: AlertLanguage.En,
    occurredAt: new Date(),
    frames: await makeJpegFrames(1, { width: 160, height: 120, seed: 3 }),
    clip: { path: clip, filename: 'yard.mp4' },
    ...over,
  };
}

describe('DeliveryPolicy', () => {
  it('attaches a clip within budget as is and records the delivery on the incident', async () => {
    const c = compressor(10);
    const { policy, stores, mails } = await setup({ budget: 60_000, compressor: c });
    const inp = await input();
    await stores.incidents.open('local', {
      idempotencyKey: inp.incidentKey,
      cameraId: 'yard',
      cameraName: 'Yard',
      startedAt: inp.occurredAt.toISOString(),
      detectedAt: inp.occurredAt.toISOString(),
      riskLevel: RiskLevel.High,
      incidentType: IncidentType.Intrusion,
      summary: 'x',
    });
    const out = await policy.deliverIncident({ ...inp, endedAt: new Date(inp.occurredAt.getTime() + 15_000) });
    expect(out).toMatchObject({ clipAttached: true, compressed: false, clipBytes: 50_000 });
    expect(c.calls).toBe(0);
    const [mail] = await mails();
    expect(mail!.attachments.find((a) => a.contentType === 'video/mp4')?.size).toBe(50_000);
    const rec = await stores.incidents.findByKey('local', inp.incidentKey);
    expect(rec).toMatchObject({
      status: 'closed',
      deliveries: [{ channel: 'email', status: DeliveryState.Sent, attempt: 1 }],
    });
  });

  it('compresses an over-budget clip, else sends the link only (distributed) and says the clip is too large', async () => {
    const fits = await setup({ budget: 20_000, compressor: compressor(15_000) });
    const a = await fits.policy.deliverIncident(await input());
    expect(a).toMatchObject({ clipAttached: true, compressed: true, clipBytes: 15_000 });
    expect((await fits.mails())[0]!.attachments.find((x) => x.contentType === 'video/mp4')?.size).toBe(15_000);

    await rm(join(dir, 'outbox'), { recursive: true, force: true });
    const tooBig = await setup({ budget: 20_000, compressor: compressor(new Error('ffmpeg failed')), links: true });
    const b = await tooBig.policy.deliverIncident(await input({ videoId: 'vid-9' }));
    expect(b.clipAttached).toBe(false);
    const [mail] = await tooBig.mails();
    expect(mail!.attachments.some((x) => x.contentType === 'video/mp4')).toBe(false);
    expect(mail!.text).toContain('too large for e-mail');
    expect(mail!.text).toMatch(/https:\/\/gw\.test\/video\/vid-9\?token=\d+\./);
    expect(b.videoUrl).toMatch(/^https:\/\/gw\.test\/video\/vid-9\?token=/);
  });

  it('sends the alert with the snapshot when the clip could not be cut, and says so', async () => {
    const { policy, mails } = await setup({ budget: 60_000 });
    const out = await policy.deliverIncident(await input({ clip: undefined, clipError: 'recording unreadable' }));
    expect(out.status).toBe('delivered');
    const [mail] = await mails();
    expect(mail!.text).toContain('could not be cut');
    expect(mail!.attachments.some((x) => x.contentType === 'image/jpeg')).toBe(true);
    expect(mail!.text).not.toContain('recording unreadable');
  });

  it('says when the confirming model could not answer', async () => {
    const { policy, mails } = await setup({ budget: 60_000 });
    await policy.deliverIncident(await input({ confirmUnanswered: true }));
    expect((await mails())[0]!.text).toContain('rests on the first check alone');
  });
});
