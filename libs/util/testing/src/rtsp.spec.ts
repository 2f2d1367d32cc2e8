import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopChild } from './process';
import { publishStream, startRtspServer, type TestRtspServer } from './rtsp';

const ffmpeg = execFileSync('sh', ['-c', 'command -v ffmpeg']).toString().trim();
const ffprobe = execFileSync('sh', ['-c', 'command -v ffprobe']).toString().trim();

describe('rtsp-server-perl test camera', { timeout: 60_000 }, () => {
  let server: TestRtspServer;
  beforeAll(async () => {
    server = await startRtspServer();
  });
  afterAll(() => server?.stop());

  it('serves a published stream that ffprobe reads over UDP', async () => {
    const publisher = publishStream(ffmpeg, server, 'cam', 'testsrc2=size=320x180:rate=10');
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const out = await new Promise<string>((resolve, reject) => {
        const p = spawn(
          ffprobe,
          [
            '-v',
            'error',
            '-rtsp_transport',
            'udp',
            '-show_entries',
            'stream=codec_name,width,height',
            '-of',
            'csv=p=0',
            server.url('cam'),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 },
        );
        let text = '';
        p.stdout.on('data', (b: Buffer) => (text += b.toString()));
        p.stderr.on('data', (b: Buffer) => (text += b.toString()));
        p.once('error', reject);
        p.once('exit', () => resolve(text));
      });
      expect(out.trim()).toBe('h264,320,180');
    } finally {
      await stopChild(publisher);
    }
  });
});
