import { readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, JobState } from '@vigint/contracts';
import { makeJpegFrames, makeTestVideo } from '@vigint/testing';
import { ApiError } from '../../src/api-error';
import { fileBlob } from '../../src/binary-body';
import { VigintClient } from '../../src/vigint.client';
import { startGatewayStack, type GatewayStack } from './gateway-stack';

/* Every client method against the real gateway and worker: multipart and base64 bodies as the routes read them. */

let stack: GatewayStack;
let api: VigintClient;
let frames: Buffer[];

beforeAll(async () => {
  stack = await startGatewayStack('api-client');
  api = new VigintClient({ baseUrl: stack.url, apiKey: stack.apiKey, timeoutMs: 45_000, retries: 1 });
  frames = await makeJpegFrames(6, { width: 320, height: 240 });
}, 120_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

describe('VigintClient against api-proxy + worker', () => {
  it('healthCheck, getUsageStats, getStorageStatus, cleanupStorage', async () => {
    expect((await api.healthCheck()).status).toBe('healthy');
    const usage = await api.getUsageStats();
    expect(usage.client_name).toBe('Client test');
    expect(Array.isArray(usage.usage)).toBe(true);
    const storage = await api.getStorageStatus();
    expect(['healthy', 'low_space']).toContain(storage.status);
    const cleanup = await api.cleanupStorage({ max_age_hours: 24, type: 'old' });
    expect(cleanup.success).toBe(true);
    expect(cleanup.cleanup_result.failed).toBe(0);
  });

  it('buffers frames (multipart one by one, JSON batch) and analyses them (multipart), job readable after', async () => {
    const one = await api.addFrameToBuffer({ frame_data: frames[0]!, frame_count: 1, timestamp: Date.now() / 1000 });
    expect(one).toMatchObject({ status: 'buffered', success: true });
    const batch = await api.addFramesBatch(frames.slice(1, 4).map((f, i) => ({ frame_data: f, frame_count: i + 2 })));
    expect(batch.frames_added).toBe(3);
    expect(batch.buffer_size).toBeGreaterThanOrEqual(4);

    const before = stack.gemini.requestCount;
    const result = await api.analyzeFrame({
      frames: frames.slice(0, 3),
      buffer_type: 'short',
      camera_name: 'client-cam',
    });
    expect(result).toMatchObject({ success: true, has_security_incident: false, risk_level: 'NONE', frame_count: 3 });
    expect(stack.gemini.requestCount).toBe(before + 1);
    const job = await api.getJob(result.job_id!);
    expect(job.state).toBe(JobState.Completed);
  });

  it('creates a video from frames (multipart) and streams its download', async () => {
    const created = await api.createVideoFromFrames({ frames, fps: 5, output_filename: 'made.mp4' });
    expect(created).toMatchObject({ success: true, frames_processed: 6, resolution: '320x240' });
    const dl = await api.downloadVideo(created.download_id);
    expect(dl.contentType).toContain('video/mp4');
    const chunks: Buffer[] = [];
    for await (const c of dl.stream) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(created.size_bytes);
    expect(bytes.subarray(4, 8).toString()).toBe('ftyp');
  });

  it('uploads (multipart from a file Blob) and compresses (base64 JSON) a video', async () => {
    const file = await makeTestVideo({ seconds: 4, bitrate: '2M' });
    try {
      const up = await api.uploadVideo({ video_data: await fileBlob(file, 'video/mp4'), video_filename: 'cam.mp4' });
      expect(up).toMatchObject({ status: 'uploaded', success: true, ready_for_analysis: true });
      expect(up.size_bytes).toBe((await readFile(file)).length);

      const base64 = new VigintClient({
        baseUrl: stack.url,
        apiKey: stack.apiKey,
        timeoutMs: 60_000,
        binaryEncoding: 'base64',
      });
      const small = await base64.compressVideoForEmail({
        video_data: await readFile(file),
        filename: 'cam.mp4',
        max_size_mb: 0.3,
      });
      expect(small.success).toBe(true);
      expect(small.compressed_size).toBeLessThanOrEqual(0.3 * 1024 * 1024);
      expect(Buffer.from(small.video_data, 'base64').length).toBe(small.compressed_size);
    } finally {
      await rm(dirname(file), { recursive: true, force: true });
    }
  }, 90_000);

  it('mails an alert once for one idempotency key, however often it is sent', async () => {
    const clip = await makeTestVideo({ seconds: 3 });
    try {
      const send = async () =>
        api.sendSecurityAlert(
          {
            analysis: 'A person at the back door',
            risk_level: 'high',
            client_id: 'client-alert-cam',
            video_data: await fileBlob(clip, 'video/mp4'),
          },
          { idempotencyKey: 'client-alert-cam-1700000000000' },
        );
      const first = await send();
      expect(first).toMatchObject({ success: true, status: 'delivered', risk_level: 'HIGH' });
      const again = await send();
      expect(again.success).toBe(true);
      await stack.smtp.waitForMessages(1, 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      const mine = stack.smtp.messages.filter(
        (m) =>
          (m.parsed.subject ?? '').includes('client-alert-cam') || (m.parsed.text ?? '').includes('client-alert-cam'),
      );
      expect(mine).toHaveLength(1);
      expect(mine[0]!.parsed.attachments.some((a) => a.contentType === 'video/mp4')).toBe(true);
    } finally {
      await rm(dirname(clip), { recursive: true, force: true });
    }
  }, 90_000);

  it('surfaces the gateway 400 as a permanent ApiError naming the field, without retrying', async () => {
    const err = await api.sendSecurityAlert({ analysis: 'x', risk_level: 'PURPLE' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      code: ErrorCode.ValidationFailed,
      field: 'risk_level',
      status: 400,
      attempts: 1,
      transient: false,
    });
  });

  it('surfaces a bad key as 401 UNAUTHORIZED', async () => {
    const bad = new VigintClient({ baseUrl: stack.url, apiKey: 'not-a-key', retries: 0 });
    await expect(bad.getUsageStats()).rejects.toMatchObject({ code: ErrorCode.Unauthorized, status: 401 });
  });
});
