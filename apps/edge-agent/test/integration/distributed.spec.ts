import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, settle, stackHelpers, startChild, useDistributedStack, videoAttachments } from './distributed-stack';

/*
 * Distributed mode end to end: edge agent → api-proxy → BullMQ → worker → SMTP, with real Redis, PostgreSQL,
 * ffmpeg and an SMTP server; only Gemini is the fake REST server (answering "intrusion, HIGH").
 */

const t = useDistributedStack('distributed');

const { mailsFor, waitForMails, agentEnv } = stackHelpers(() => t.stack);

describe('distributed mode through the real gateway and worker', () => {
  it('the agent CLI on the intruder sample sends exactly one e-mail, with the clip', async () => {
    const outbox = join(t.work, 'cli-outbox');
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
    expect(code, `${out}\n${t.stack.logs()}`).toBe(0);
    expect(out).toContain('remote (gateway');

    const mails = await waitForMails('dist-cli-cam', 1, 60_000);
    await settle(2000); // a duplicate would arrive within this
    expect(mailsFor('dist-cli-cam'), out).toHaveLength(1);
    const clips = videoAttachments(mails[0]!);
    expect(clips).toHaveLength(1);
    expect(clips[0]!.size).toBeGreaterThan(20_000);
    expect(t.stack.gemini.requestCount).toBeGreaterThan(0);
    expect(await readdir(join(outbox, 'pending-remote', 'pending'))).toEqual([]);
  }, 150_000);
});

function startChildWithArgs(args: string[]) {
  return startChild('edge-agent', `apps/edge-agent/src/main.ts`, agentEnv(), REPO, args);
}
