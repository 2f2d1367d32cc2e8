import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestVideo, openAiReply, startFakeOpenAi, type FakeOpenAi } from '@vigint/testing';
import { emlFiles, runAgent, summaryOf } from './agent-harness';

/** Local mode with AI_PROVIDER=openai: a local OpenAI-compatible server (as Ollama serves it), then a budget cap. */
describe('edge agent with an OpenAI-compatible server (fake, Ollama flavour)', { timeout: 60_000 }, () => {
  let server: FakeOpenAi;
  let work: string;
  let video: string;
  const env = () => ({
    AI_PROVIDER: 'openai',
    AI_BASE_URL: server.baseUrl,
    AI_MODEL_SHORT: 'gemma3:4b',
    AI_MODEL_LONG: 'qwen2.5vl:7b',
  });

  beforeAll(async () => {
    server = await startFakeOpenAi({ flavor: 'ollama', defaultReply: openAiReply.incident() });
    work = await mkdtemp(join(tmpdir(), 'vigint-agent-openai-'));
    video = await makeTestVideo({ seconds: 20, noise: true, withMovingBox: { startSec: 11, endSec: 15 } });
  });
  afterAll(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
    await rm(dirname(video), { recursive: true, force: true });
  });

  it('screens and confirms through Chat Completions, one alert, no unpriced-model warning for a local server', async () => {
    const outbox = join(work, 'out');
    const run = await runAgent(['--video-input', video, '--fast', '--outbox', outbox], { env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/offline/);
    expect(run.stdout + run.stderr).not.toMatch(/has no price/);
    const [cam] = summaryOf(run);
    expect(cam!.incidents).toBe(1);
    expect(await emlFiles(outbox)).toHaveLength(1);
    expect(server.requests.map((r) => r.model)).toEqual(['gemma3:4b', 'qwen2.5vl:7b']);
    expect(server.rejected).toEqual([]);
    expect(server.modelLists).toBeGreaterThan(0);
  });

  it('a model the server does not serve stops the agent, naming the variable', async () => {
    const run = await runAgent(['--video-input', video, '--fast', '--outbox', join(work, 'out-bad')], {
      env: { ...env(), AI_MODEL_LONG: 'llava:34b' },
    });
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/AI_MODEL_LONG=llava:34b/);
  });

  it('a used-up daily budget: no AI call, the alert says the analysis was motion-only', async () => {
    server.reset();
    server.setDefault(openAiReply.incident());
    const outbox = join(work, 'out-budget');
    // A $0 cap means no AI at all: the offline motion analysis answers, and says why.
    const run = await runAgent(['--video-input', video, '--fast', '--outbox', outbox], {
      env: { ...env(), AI_BUDGET_DAILY_USD: '0' },
    });
    expect(run.code).toBe(0);
    expect(server.requestCount).toBe(0);
    const files = await emlFiles(outbox);
    expect(files.length).toBeGreaterThanOrEqual(1);
    // Quoted-printable soft line breaks unfolded: the note is one sentence of the body.
    const eml = (await readFile(files[0]!, 'utf8')).replace(/=\r?\n/g, '');
    expect(eml).toMatch(/AI budget for the day is used up/);
  });
});
