import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraState } from '@vigint/contracts';
import { ClipService, planClip } from '@vigint/clip';
import { FfmpegAdapter, resolveFfmpeg } from '@vigint/ffmpeg';
import { silentLogger } from '@vigint/logger';
import { startRtspServer, stopChild, type TestRtspServer } from '@vigint/testing';
import { CameraCapture } from '../../src/camera-capture';
import { camera, makeWorkDir, removeWorkDir } from '../integration/format-matrix-cases';

/*
 * The format matrix over a real RTSP server (Debian's rtsp-server-perl): an IP camera's usual H.264 + G.711
 * A-law. The probe sees the stream, the recording copies the video and turns the sound into AAC, and the
 * e-mail clip is H.264 + AAC in MP4. With the fault tests (one RTSP server at a time: RTP ports collide).
 */
const bin = resolveFfmpeg();
const ffmpeg = new FfmpegAdapter(silentLogger, bin);

describe('RTSP camera, H.264 + G.711 A-law', { timeout: 120_000 }, () => {
  let server: TestRtspServer;
  let publisher: ChildProcess;
  let work: string;

  beforeAll(async () => {
    work = await makeWorkDir();
    server = await startRtspServer();
    publisher = spawn(
      bin.ffmpeg,
      [
        ...['-hide_banner', '-loglevel', 'error', '-re'],
        ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10'],
        ...['-f', 'lavfi', '-i', 'sine=f=440:sample_rate=8000'],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10'],
        ...['-c:a', 'pcm_alaw', '-ar', '8000', '-ac', '1'],
        ...['-f', 'rtsp', `rtsp://127.0.0.1:${server.sourcePort}/g711`],
      ],
      { stdio: 'ignore' },
    );
    await new Promise((r) => setTimeout(r, 1500));
  });

  afterAll(async () => {
    if (publisher) await stopChild(publisher);
    await server?.stop();
    await removeWorkDir(work);
  });

  it('records H.264 by copy with the sound as AAC, and cuts an H.264 + AAC clip', async () => {
    const cam = { ...camera(server.url('g711'), true), kind: 'rtsp' as const, rtspTransport: 'udp' as const };
    const capture = new CameraCapture(
      cam,
      ffmpeg,
      {
        segmentSeconds: 2,
        retainSeconds: 60,
        watchdogSeconds: 20,
        offlineAlertSeconds: 60,
        fast: false,
        dir: join(work, 'rtsp-cam'),
      },
      silentLogger,
    );
    const done = capture.run({
      onFrame: (_, t) => {
        // About 7 s of stream: enough for three complete 2 s segments.
        if (t >= 7) void capture.stop();
      },
    });
    expect(await done).not.toBe(CameraState.Failed);
    expect(capture.framesRead).toBeGreaterThan(20);
    expect(capture.recording).toMatchObject({ path: 'copy', reason: expect.stringMatching(/G\.711 A-law → AAC/) });

    const plan = planClip({
      segments: capture.segmentsBetween(0, 10),
      eventStart: 3,
      eventEnd: 4,
      preCapture: 1,
      postCapture: 1,
    });
    expect(plan).not.toBeNull();
    const out = join(work, 'rtsp-clip.mp4');
    const clip = await new ClipService(ffmpeg, silentLogger).cutClip(plan!, out, { audio: true });
    expect(clip.ok, clip.ok ? '' : clip.clipError).toBe(true);
    if (!clip.ok) return;
    expect(clip.info.codec).toBe('h264');
    expect(clip.info.audioCodec).toBe('aac');
    expect(clip.info.durationSeconds).toBeGreaterThanOrEqual(2.5);
    await capture.cleanup();
  });
});
