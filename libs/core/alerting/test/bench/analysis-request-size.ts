/*
 * What one analysis sends per stage: image size (px, bytes) and tokens, against the fake Gemini (its token
 * counts follow Gemini's documented rule: 258 tokens per image tile, ~4 characters per text token).
 * Run: npx tsx libs/core/alerting/test/bench/analysis-request-size.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertLanguage } from '@vigint/contracts';
import { resolveFfmpeg } from '@vigint/ffmpeg';
import { GeminiAdapter } from '@vigint/gemini';
import { ImageAdapter } from '@vigint/image';
import { geminiReply, imageDimensions, makeJpegFrames, startFakeGemini } from '@vigint/testing';
import { AnalysisService, DEFAULT_MODELS } from '../../src/analysis/analysis.service';

async function ffmpegFrames(n: number): Promise<Buffer[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vigint-bench-'));
  try {
    const { ffmpeg } = resolveFfmpeg(process.env);
    execFileSync(ffmpeg, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=4',
      '-frames:v',
      String(n),
      '-q:v',
      '3',
      join(dir, 'f%02d.jpg'),
    ]);
    const files = (await readdir(dir)).sort();
    return Promise.all(files.map((f) => readFile(join(dir, f))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const fake = await startFakeGemini();
const image = new ImageAdapter();
const service = new AnalysisService({
  provider: new GeminiAdapter({ apiKey: 'bench', baseUrl: fake.baseUrl }),
  image,
  models: DEFAULT_MODELS,
});
const sources: [string, Buffer[]][] = [
  ['ffmpeg testsrc2 1280x720 JPEG q3', await ffmpegFrames(40)],
  ['synthetic scene 1280x720, noise 8', await makeJpegFrames(40, { width: 1280, height: 720, noise: 8 })],
];
for (const [name, long] of sources) {
  fake.reset();
  fake.enqueue(geminiReply.incident(), geminiReply.incident());
  const input = long.reduce((n, b) => n + b.length, 0) / long.length;
  const result = await service.analyze({
    frames: long.slice(-12),
    longFrames: long,
    language: AlertLanguage.En,
    cameraName: 'Garage',
  });
  console.log(`\n${name}: input frames avg ${Math.round(input / 1024)} KiB`);
  for (const [i, call] of result.ai_calls.entries()) {
    const req = fake.requests[i]!;
    const dims = req.images.map((im) => imageDimensions(im.data));
    console.log(
      `  ${call.stage.padEnd(7)} ${call.model.padEnd(22)} ${call.images} images ${dims[0]?.width}x${dims[0]?.height}, ` +
        `${Math.round(call.image_bytes / 1024)} KiB total (${Math.round(call.image_bytes / call.images / 1024)} KiB each), ` +
        `prompt ${req.prompt.length} chars, tokens in/out/total ${call.usage.prompt_tokens}/${call.usage.completion_tokens}/${call.usage.total_tokens}`,
    );
  }
}
await fake.close();
