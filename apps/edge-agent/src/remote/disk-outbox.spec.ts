import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileBlob, VigintClient } from '@vigint/api-client';
import type { AlertReply } from '@vigint/contracts';
import { DiskOutbox, type OutboxOutcome } from './disk-outbox';
import { FakeGateway } from './fake-gateway.testing';

interface Payload {
  cameraName: string;
  analysis: string;
}

let dir: string;
let gw: FakeGateway;
const outboxes: DiskOutbox<Payload, AlertReply>[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigint-outbox-'));
  gw = new FakeGateway();
  await gw.start();
});

afterEach(async () => {
  await Promise.all(outboxes.splice(0).map((o) => o.close()));
  await gw.stop();
  await rm(dir, { recursive: true, force: true });
});

function makeOutbox(settled: OutboxOutcome<Payload, AlertReply>[] = []): DiskOutbox<Payload, AlertReply> {
  const client = new VigintClient({
    baseUrl: gw.url,
    apiKey: 'test-key',
    timeoutMs: 2000,
    backoff: { baseDelayMs: 5, maxDelayMs: 20 },
  });
  const outbox = new DiskOutbox<Payload, AlertReply>({
    dir: join(dir, 'outbox'),
    baseDelayMs: 20,
    maxDelayMs: 80,
    send: async (entry, signal) =>
      client.sendSecurityAlert(
        {
          analysis: entry.payload.analysis,
          client_id: entry.payload.cameraName,
          risk_level: 'HIGH',
          video_data: entry.file ? await fileBlob(entry.file, 'video/mp4') : undefined,
          video_filename: 'clip.mp4',
        },
        { idempotencyKey: entry.idempotencyKey, retries: 1, signal },
      ),
    probe: (signal) => client.healthCheck({ signal, retries: 0 }),
    onSettled: (o) => settled.push(o),
  });
  outboxes.push(outbox);
  return outbox;
}

async function clip(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

function item(n: number, file?: string) {
  return {
    idempotencyKey: `cam-1-${1000 + n}`,
    kind: 'incident',
    payload: { cameraName: 'cam-1', analysis: `event ${n}` },
    file,
  };
}

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('DiskOutbox against a gateway that is down, then up', () => {
  it('sends at once while the gateway answers, and keeps nothing on disk', async () => {
    const outbox = makeOutbox();
    await outbox.open();
    const out = await outbox.submit(item(1, await clip('a.mp4', 'clip-a')));
    expect(out.status).toBe('sent');
    expect(gw.mails.map((m) => [m.key, m.clip?.toString()])).toEqual([['cam-1-1001', 'clip-a']]);
    expect(await readdir(join(dir, 'outbox', 'pending'))).toEqual([]);
  });

  it('queues on disk while the server is unreachable, then replays in order, each exactly once', async () => {
    await gw.stop();
    const settled: OutboxOutcome<Payload, AlertReply>[] = [];
    const outbox = makeOutbox(settled);
    await outbox.open();
    const outcomes = [];
    for (let n = 1; n <= 3; n++) {
      const file = await clip(`c${n}.mp4`, `clip-${n}`);
      outcomes.push(await outbox.submit(item(n, file)));
      await rm(file); // the agent deletes its clip; the entry holds its own link/copy
    }
    expect(outcomes.map((o) => o.status)).toEqual(['queued', 'queued', 'queued']);
    const stored = (await readdir(join(dir, 'outbox', 'pending'))).sort();
    expect(stored.map((id) => id.replace(/^\d+-\d+-/, ''))).toEqual(['cam-1-1001', 'cam-1-1002', 'cam-1-1003']);

    await gw.start(); // same port: the server is back
    await waitFor(() => settled.length === 3);
    expect(gw.mails.map((m) => [m.key, m.clip?.toString()])).toEqual([
      ['cam-1-1001', 'clip-1'],
      ['cam-1-1002', 'clip-2'],
      ['cam-1-1003', 'clip-3'],
    ]);
    expect(settled.map((s) => s.status)).toEqual(['sent', 'sent', 'sent']);
    expect(await readdir(join(dir, 'outbox', 'pending'))).toEqual([]);
  });

  it('keeps entries through 503s and sends them once the gateway is healthy', async () => {
    gw.mode = '503';
    const settled: OutboxOutcome<Payload, AlertReply>[] = [];
    const outbox = makeOutbox(settled);
    await outbox.open();
    expect((await outbox.submit(item(1))).status).toBe('queued');
    expect((await outbox.submit(item(2))).status).toBe('queued');
    expect(gw.mails).toHaveLength(0);
    gw.mode = 'up';
    await waitFor(() => settled.length === 2);
    expect(gw.mails.map((m) => m.key)).toEqual(['cam-1-1001', 'cam-1-1002']);
  });

  it('replays what an earlier run left pending when it opens', async () => {
    await gw.stop();
    const first = makeOutbox();
    await first.open();
    await first.submit(item(1, await clip('a.mp4', 'clip-a')));
    await first.submit(item(2));
    await first.close(); // the agent stops with the server still down

    await gw.start();
    const settled: OutboxOutcome<Payload, AlertReply>[] = [];
    const second = makeOutbox(settled);
    expect(await second.open()).toBe(2);
    await waitFor(() => settled.length === 2);
    expect(gw.mails.map((m) => [m.key, m.clip?.toString()])).toEqual([
      ['cam-1-1001', 'clip-a'],
      ['cam-1-1002', undefined],
    ]);
  });

  it('mails once when the reply to a delivered alert is lost (the retry carries the same key)', async () => {
    gw.mode = 'lose-reply';
    const outbox = makeOutbox();
    await outbox.open();
    const out = await outbox.submit(item(1, await clip('a.mp4', 'clip-a')));
    expect(out.status).toBe('sent');
    expect(gw.alertAttempts).toEqual(['cam-1-1001', 'cam-1-1001']);
    expect(gw.mails).toHaveLength(1);
  });

  it('moves an entry the server refuses (400) to rejected/ with the error, and goes on with the next', async () => {
    gw.mode = '400';
    const outbox = makeOutbox();
    await outbox.open();
    const out = await outbox.submit(item(1, await clip('a.mp4', 'clip-a')));
    expect(out.status).toBe('rejected');
    expect(gw.alertAttempts).toHaveLength(1); // no retry of a caller's mistake
    const [rejected] = await readdir(join(dir, 'outbox', 'rejected'));
    const error = JSON.parse(await readFile(join(dir, 'outbox', 'rejected', rejected!, 'error.json'), 'utf8'));
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'risk_level', status: 400 });
    expect(await readdir(join(dir, 'outbox', 'rejected', rejected!))).toContain('meta.json');

    gw.mode = 'up';
    expect((await outbox.submit(item(2))).status).toBe('sent');
    expect(gw.mails.map((m) => m.key)).toEqual(['cam-1-1002']);
    expect(await readdir(join(dir, 'outbox', 'pending'))).toEqual([]);
  });

  it('stores one entry when the same incident is submitted twice while queued', async () => {
    await gw.stop();
    const settled: OutboxOutcome<Payload, AlertReply>[] = [];
    const outbox = makeOutbox(settled);
    await outbox.open();
    await outbox.submit(item(1));
    await outbox.submit(item(1));
    expect(outbox.size).toBe(1);
    await gw.start();
    await waitFor(() => settled.length === 1);
    expect(gw.alertAttempts.filter((k) => k === 'cam-1-1001').length).toBeGreaterThanOrEqual(1);
    expect(gw.mails).toHaveLength(1);
  });

  it('drain() waits for the backlog and reports what is left', async () => {
    await gw.stop();
    const outbox = makeOutbox();
    await outbox.open();
    await outbox.submit(item(1));
    expect(await outbox.drain(100)).toBe(1);
    await gw.start();
    expect(await outbox.drain(10_000)).toBe(0);
    expect(gw.mails).toHaveLength(1);
  });
});
