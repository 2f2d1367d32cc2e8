import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geminiReply, startFakeGemini, startSmtpServer, type FakeGemini, type TestSmtpServer } from '@vigint/testing';
import { ADMIN, SECRET, startGateway, type Harness } from './gateway.harness';
import { jpeg, mp4, probeVideo } from './media.fixtures';
import { startWorkerChild, workerEnvFor, type WorkerChild } from './worker.harness';

/**
 * The earlier system's own edge client (a stdlib-only re-creation in test/legacy/api_client.py) against
 * the real gateway (listening on a socket) and the real worker: every function it has, and the video
 * analyzer's flow upload → analyze(frame null) → alert(use_server_buffer).
 */
const run = promisify(execFile);
const LEGACY_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '../legacy');

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const PYTHON = hasPython();
if (!PYTHON)
  console.warn('legacy-client.spec: python3 is not on PATH, the earlier Python client cannot be run: skipped');

interface FlowOutput {
  health: { status: string; timestamp: unknown };
  buffer: { status: string; frame_count: number; buffer_size: number };
  analyze_frame: {
    has_security_incident: boolean;
    incident_detected: boolean;
    incident_type: string;
    risk_level: string;
    client_email: string;
    analysis_is_text: boolean;
    token_usage: { total_tokens?: number } | null;
  };
  compress: {
    success: boolean;
    original_size: number;
    compressed_size: number;
    compression_ratio: number;
    video_data_bytes: number | null;
    compressed_path: string;
    clip_bytes: number;
  };
  create: {
    success: boolean;
    download_url: string;
    frames_processed: number;
    duration: number;
    duration_seconds: number;
    resolution: string;
    has_video_data: boolean;
    downloaded_path: string;
    downloaded_bytes: number;
  };
  upload: { status: string; video_size_mb: number; frame_count: number; duration: number; ready_for_analysis: boolean };
  flow_analyze: { has_security_incident: boolean; incident_detected: boolean; risk_level: string };
  alert: {
    success: boolean;
    status: string;
    to: string;
    client_name: string;
    risk_level: string;
    _http_status: number;
    email_success: boolean;
    video_link_available: boolean;
  } | null;
  storage: { status: string; disk_available: boolean; tracked: number };
  cleanup: { cleanup_type: string; cleanup_result: { cleaned: number; failed: number; total: number } };
  usage: { client_name: string; usage_count: number; has_key_id: boolean; rows: number; first_row_fields: string[] };
  bad_input: Record<string, { raised: boolean; status?: number; error?: string; code?: string }>;
  bad_key: { raised: boolean; status?: number; error?: string };
  secret_key_client: { raised: boolean; status?: number | string; error?: string };
  health_after: string;
  missing: string[];
}

const FRAMES = 30;
let h: Harness;
let worker: WorkerChild;
let gemini: FakeGemini;
let smtp: TestSmtpServer;
let work: string;
let key: string;
let baseUrl: string;
let out: FlowOutput;
let stderr: string;

describe.skipIf(!PYTHON)('the earlier Python client (api_client.py) against gateway + worker', () => {
  beforeAll(async () => {
    gemini = await startFakeGemini();
    gemini.setDefault(geminiReply.incident());
    smtp = await startSmtpServer();
    h = await startGateway({ SYNC_WAIT_MS: '45000' });
    worker = await startWorkerChild(workerEnvFor(h, gemini, smtp));
    baseUrl = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const created = await h.app.inject({
      method: 'POST',
      url: '/admin/clients',
      payload: { name: 'legacy-site', email: 'site@example.com' },
      headers: { 'x-admin-key': ADMIN },
    });
    key = (created.json() as { api_key: string }).api_key;

    work = await mkdtemp(join(tmpdir(), 'vigint-legacy-'));
    const framesDir = join(work, 'frames');
    await mkdir(framesDir);
    for (let i = 0; i < FRAMES; i++) {
      await writeFile(join(framesDir, `f${String(i).padStart(3, '0')}.jpg`), await jpeg(320, 240, (i * 8) % 255));
    }
    await writeFile(join(work, 'clip.mp4'), await mp4(10));

    // The earlier client's environment: only VIGINT_API_KEY for the key (SECRET_KEY unset so it is not used).
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      VIGINT_API_SERVER_URL: baseUrl,
      VIGINT_API_KEY: key,
      LEGACY_FRAMES_DIR: framesDir,
      LEGACY_CLIP: join(work, 'clip.mp4'),
      LEGACY_OUT_DIR: work,
      LEGACY_SERVER_SECRET: SECRET,
    };
    const r = await run('python3', [join(LEGACY_DIR, 'legacy_flow.py')], {
      env,
      cwd: work,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 150_000,
    }).catch((e: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`legacy_flow.py failed: ${e.message}\n${e.stderr ?? ''}\n${e.stdout ?? ''}`);
    });
    stderr = r.stderr;
    out = JSON.parse(r.stdout.trim().split('\n').pop()!) as FlowOutput;
    // LEGACY_DEBUG=1 shows what the earlier client read.
    if (process.env.LEGACY_DEBUG) console.log(JSON.stringify(out, null, 1), stderr);
  }, 240_000);

  afterAll(async () => {
    await worker?.stop();
    await h?.close();
    await gemini?.close();
    await smtp?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('finds every reply field the earlier callers read', () => {
    expect(out.missing).toEqual([]);
  });

  it('health_check: healthy, before and after the run', () => {
    expect(out.health.status).toBe('healthy');
    expect(typeof out.health.timestamp).toBe('number');
    expect(out.health_after).toBe('healthy');
  });

  it("SECRET_KEY instead of VIGINT_API_KEY (the seed's set-up) is accepted", () => {
    expect(out.secret_key_client).toMatchObject({ raised: false, status: 'healthy' });
  });

  it('add_frame_to_buffer: buffered, counts frames', () => {
    expect(out.buffer).toMatchObject({ status: 'buffered', frame_count: 3, buffer_size: 3 });
  });

  it('analyze_frame: a HIGH-risk incident with the earlier fields', () => {
    expect(out.analyze_frame).toMatchObject({
      has_security_incident: true,
      incident_detected: true,
      risk_level: 'HIGH',
      incident_type: 'intrusion',
      client_email: 'site@example.com',
      analysis_is_text: true,
    });
    expect(out.analyze_frame.token_usage?.total_tokens).toBeGreaterThan(0);
  });

  it('compress_video_for_email: real byte counts and the compressed video, still 10 s long', async () => {
    expect(out.compress.success).toBe(true);
    expect(out.compress.original_size).toBe(out.compress.clip_bytes);
    expect(out.compress.compressed_size).toBeGreaterThan(1000);
    expect(out.compress.compressed_size).toBeLessThanOrEqual(0.1 * 1024 * 1024);
    expect(out.compress.compressed_size).toBeLessThan(out.compress.original_size);
    expect(out.compress.video_data_bytes).toBe(out.compress.compressed_size);
    expect(out.compress.compression_ratio).toBeCloseTo(out.compress.compressed_size / out.compress.original_size, 3);
    const info = await probeVideo(out.compress.compressed_path);
    expect(info.codec).toBe('h264');
    expect(info.duration).toBeCloseTo(10, 0);
  });

  it('create_video_from_frames: a download_url that downloads a playable H.264 with every frame', async () => {
    expect(out.create).toMatchObject({
      success: true,
      frames_processed: FRAMES,
      resolution: '320x240',
      has_video_data: true,
    });
    expect(out.create.download_url).toMatch(/^\/api\/video\/download\/[^/]+$/);
    expect(out.create.duration_seconds).toBeCloseTo(FRAMES / 25, 1);
    expect(out.create.downloaded_bytes).toBeGreaterThan(1000);
    const info = await probeVideo(out.create.downloaded_path);
    expect(info.codec).toBe('h264');
    expect(info.frames).toBe(FRAMES);
    const head = (await readFile(out.create.downloaded_path)).subarray(4, 8).toString('latin1');
    expect(head).toBe('ftyp');
  });

  it('upload → analyze(frame null) → alert(use_server_buffer): delivered, one e-mail with the clip', async () => {
    expect(out.upload).toMatchObject({ status: 'uploaded', ready_for_analysis: true });
    expect(out.upload.duration).toBeCloseTo(10, 0);
    expect(out.upload.video_size_mb).toBeGreaterThan(0);
    expect(out.flow_analyze).toMatchObject({
      has_security_incident: true,
      incident_detected: true,
      risk_level: 'HIGH',
    });
    expect(out.alert).not.toBeNull();
    expect(out.alert).toMatchObject({
      success: true,
      status: 'delivered',
      _http_status: 200,
      to: 'site@example.com',
      client_name: 'legacy-site',
      risk_level: 'HIGH',
      email_success: true,
      video_link_available: true,
    });
    const mails = await smtp.waitForMessages(1, 10_000);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.envelope.to).toContain('site@example.com');
    const clip = mail.parsed.attachments.find((a) => a.contentType === 'video/mp4');
    expect(clip).toBeDefined();
    expect(clip!.content.length).toBeGreaterThan(1000);
    // Give a late duplicate the chance to show up: still one.
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.messages).toHaveLength(1);
  });

  it('storage, cleanup and usage: the earlier shapes', () => {
    expect(['healthy', 'low_space']).toContain(out.storage.status);
    expect(out.storage.disk_available).toBe(true);
    expect(out.storage.tracked).toBeGreaterThan(0);
    expect(out.cleanup.cleanup_type).toBe('old');
    expect(out.cleanup.cleanup_result).toMatchObject({
      cleaned: expect.any(Number),
      failed: 0,
      total: expect.any(Number),
    });
    expect(out.usage.client_name).toBe('legacy-site');
    expect(out.usage.has_key_id).toBe(true);
    expect(out.usage.usage_count).toBeGreaterThan(5);
    expect(out.usage.rows).toBeGreaterThan(5);
    expect(out.usage.first_row_fields).toEqual(
      expect.arrayContaining(['timestamp', 'endpoint', 'method', 'status_code', 'cost']),
    );
  });

  it('bad inputs raise in the client with the flat error string printed', () => {
    for (const [name, r] of Object.entries(out.bad_input)) {
      expect(r.raised, name).toBe(true);
      expect(r.status, name).toBeGreaterThanOrEqual(400);
      expect(r.status, name).toBeLessThan(500);
      expect(typeof r.error, name).toBe('string');
      expect(r.error!.length, name).toBeGreaterThan(3);
      expect(stderr).toContain(`error: ${r.error}`);
    }
    expect(out.bad_input.negative_fps!.error).toMatch(/fps/);
    expect(out.bad_key).toMatchObject({ raised: true, status: 401 });
  });
});
