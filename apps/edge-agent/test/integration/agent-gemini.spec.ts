import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geminiReply, imageDimensions, makeTestVideo, startFakeGemini, type FakeGemini } from '@vigint/testing';
import { emlFiles, runAgent, summaryOf } from './agent-harness';

/** Local mode with an AI key: the model (a local server speaking Gemini's REST API) sees only motion. */
describe('edge agent with Gemini (fake server)', { timeout: 50_000 }, () => {
  let gemini: FakeGemini;
  let work: string;
  let video: string;

  beforeAll(async () => {
    gemini = await startFakeGemini({ apiKey: 'test-key', defaultReply: geminiReply.incident() });
    work = await mkdtemp(join(tmpdir(), 'vigint-agent-gemini-'));
    video = await makeTestVideo({ seconds: 20, noise: true, withMovingBox: { startSec: 11, endSec: 15 } });
  });
  afterAll(async () => {
    await gemini.close();
    await rm(work, { recursive: true, force: true });
    await rm(dirname(video), { recursive: true, force: true });
  });

  it('screens and confirms only during motion, one alert, images no larger than 768 px', async () => {
    const outbox = join(work, 'out');
    const run = await runAgent(['--video-input', video, '--fast', '--outbox', outbox], {
      env: { GOOGLE_API_KEY: 'test-key', GEMINI_BASE_URL: gemini.baseUrl },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/offline/);
    const [cam] = summaryOf(run);
    expect(cam!.incidents).toBe(1);
    expect(await emlFiles(outbox)).toHaveLength(1);
    // One screening call opened the incident, the confirming stage looked at the long buffer: 2 model calls,
    // against 20 for a sender of one frame per second.
    expect(cam!.analyses).toBe(1);
    expect(gemini.requestCount).toBe(2);
    expect(cam!.aiCalls).toBe(2);
    for (const req of gemini.requests) {
      for (const img of req.images) {
        const d = imageDimensions(img.data)!;
        expect(Math.max(d.width, d.height)).toBeLessThanOrEqual(768);
      }
    }
  });
});
