// Ad-hoc measurement (not a test): `npx tsx apps/worker/test/bench-worker.ts`.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { AlertLanguage, JobName, VideoFormat } from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { geminiReply, makeJpegFrames, makeTestVideo } from '@vigint/testing';
import { loadWorkerConfig } from '../src/config';
import { startWorkers } from '../src/workers';
import { startHarness } from './integration/worker-harness';

const h = await startHarness('bench');
const app = await startWorkers(loadWorkerConfig(h.env), silentLogger);
try {
  const file = await makeTestVideo({
    seconds: 30,
    width: 1280,
    height: 720,
    fps: 25,
    bitrate: '4M',
    noise: 10,
    withMovingBox: { startSec: 5, endSec: 25 },
  });
  const size = (await stat(file)).size;
  await app.store.put('upload-bench-30s-720p', createReadStream(file));
  const src = await h.db.artifacts.create({
    clientId: h.clientId,
    kind: 'upload',
    storageKey: 'upload-bench-30s-720p',
    bytes: size,
    sha256: 'x',
    mime: 'video/mp4',
  });
  for (const maxMb of [8, 5, 2]) {
    const t = performance.now();
    const { id } = await h.queue.enqueue(JobName.VideoCompress, {
      clientId: h.clientId,
      apiKeyId: null,
      videoArtifactId: src.id,
      maxSizeBytes: maxMb * 1_000_000,
      qualityReduction: 0.85,
      outputName: 'b.mp4',
    });
    const v = await h.queue.waitFor<JobName.VideoCompress>(id, 600_000);
    console.log(
      `compress 30s 720p: in ${size} B → max ${maxMb} MB: out ${v?.result?.compressedSize} B ${v?.result?.width}x${v?.result?.height} ${v?.result?.durationSeconds}s in ${Math.round(performance.now() - t)} ms (${v?.state})`,
    );
  }
  const frames = await makeJpegFrames(300, { width: 640, height: 480 });
  const keys = await h.blobs.putMany(frames, 600);
  let t = performance.now();
  const c = await h.queue.enqueue(JobName.VideoCreate, {
    clientId: h.clientId,
    apiKeyId: null,
    frameBlobKeys: keys,
    fps: 10,
    format: VideoFormat.Mp4,
    outputName: 'c.mp4',
  });
  const cv = await h.queue.waitFor<JobName.VideoCreate>(c.id, 600_000);
  console.log(
    `create: 300 frames 640x480 → ${cv?.result?.sizeBytes} B in ${Math.round(performance.now() - t)} ms (${cv?.state})`,
  );
  h.gemini.enqueue(geminiReply.incident(), geminiReply.incident());
  const big = await makeJpegFrames(10, { width: 1920, height: 1080 });
  t = performance.now();
  const a = await h.queue.enqueue(JobName.FrameAnalyze, {
    clientId: h.clientId,
    apiKeyId: null,
    bufferType: 'long',
    frameBlobKeys: await h.blobs.putMany(big, 600),
    language: AlertLanguage.En,
  });
  const av = await h.queue.waitFor<JobName.FrameAnalyze>(a.id, 60_000);
  console.log(`analyze (10 frames 1920x1080, long buffer, fake Gemini) in ${Math.round(performance.now() - t)} ms`);
  for (const call of av?.result?.ai_calls ?? [])
    console.log(`  ${call.stage}: ${call.images} images, ${call.image_bytes} B, tokens ${JSON.stringify(call.usage)}`);
} finally {
  await app.close();
  await h.close();
}
