import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedMail } from '@vigint/testing';
import { REPO, startChild, startDistributedStack, type DistributedStack } from './distributed-stack';

/*
 * Distributed mode end to end: edge agent → api-proxy → BullMQ → worker → SMTP, with real Redis, PostgreSQL,
 * ffmpeg and an SMTP server; only Gemini is the fake REST server (answering "intrusion, HIGH").
 */

let stack: DistributedStack;
let work: string;

beforeAll(async () => {
  stack = await startDistributedStack('distributed');
  work = await mkdtemp(join(tmpdir(), 'vigint-dist-agent-'));
}, 120_000);

afterAll(async () => {
  await stack?.close();
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

function mailsFor(camera: string): ReceivedMail[] {
  return stack.smtp.messages.filter((m) => `${m.parsed.subject ?? ''} ${m.parsed.text ?? ''}`.includes(camera));
}

function videoAttachments(mail: ReceivedMail) {
  return mail.parsed.attachments.filter((a) => a.contentType === 'video/mp4');
}

async function settle(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

describe('distributed mode through the real gateway and worker', () => {
  it('the agent CLI on the intruder sample sends exactly one e-mail, with the clip', async () => {
    const outbox = join(work, 'cli-outbox');
    const run = startChildWithArgs([
      '--video-input',
      join(REPO, 'samples/intruder.mp4'),
      '--camera-id',
      'dist-cli-cam',
      '--fast',
      '--outbox',
      outbox,
    ]);
    const code = await run.exited;
    const out = run.output.join('');
    expect(code, `${out}\n${stack.logs()}`).toBe(0);
    expect(out).toContain('remote (gateway');

    const mails = await waitForMails('dist-cli-cam', 1, 60_000);
    await settle(2000); // a duplicate would arrive within this
    expect(mailsFor('dist-cli-cam'), out).toHaveLength(1);
    const clips = videoAttachments(mails[0]!);
    expect(clips).toHaveLength(1);
    expect(clips[0]!.size).toBeGreaterThan(20_000);
    expect(stack.gemini.requestCount).toBeGreaterThan(0);
    expect(await readdir(join(outbox, 'pending-remote', 'pending'))).toEqual([]);
  }, 150_000);
});

function startChildWithArgs(args: string[]) {
  return startChild('edge-agent', `apps/edge-agent/src/main.ts`, agentEnv(), REPO, args);
}

function agentEnv(): Record<string, string> {
  return {
    API_SERVER_URL: stack.gatewayUrl,
    VIGINT_API_KEY: stack.apiKey,
    GOOGLE_API_KEY: '',
    EMAIL_SMTP_SERVER: '',
    LOG_LEVEL: 'info',
  };
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms\n${stack.logs()}`);
    await settle(100);
  }
}

async function waitForMails(camera: string, n: number, timeoutMs: number): Promise<ReceivedMail[]> {
  await waitFor(() => mailsFor(camera).length >= n, timeoutMs);
  return mailsFor(camera);
}
