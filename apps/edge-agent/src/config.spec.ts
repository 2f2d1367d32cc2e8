import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RiskLevel } from '@vigint/contracts';
import { parseCli } from './cli';
import { AgentFile, loadAgentConfig } from './config';
import { USAGE } from './cli';
import { UserError } from './user-error';

describe('agent configuration', () => {
  let work: string;
  let video: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigint-config-'));
    video = join(work, 'cam.mp4');
    await writeFile(video, 'not read here');
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  const load = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadAgentConfig(parseCli(argv), env);
  const fails = (argv: string[], message: RegExp, env: NodeJS.ProcessEnv = {}) => {
    let err: unknown;
    try {
      load(argv, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(message);
  };

  it('reads a YAML file of cameras with per-camera settings over the defaults', async () => {
    const file = join(work, 'cams.yaml');
    await writeFile(
      file,
      [
        'defaults:',
        '  threshold: high',
        '  record: { pre_capture: 8 }',
        'cameras:',
        '  - id: door',
        `    video_input: ${video}`,
        '    detect_fps: 3',
        '    motion: { threshold: 30, mask: [[[0, 0], [0.5, 0], [0.5, 0.5]]] }',
        '  - name: Yard',
        '    rtsp_url: rtsp://user:pw@10.0.0.2/stream',
        '    rtsp_transport: udp',
        '    threshold: LOW',
        '    language: fr',
        '  - id: off',
        '    rtsp_url: rtsp://10.0.0.3/x',
        '    enabled: false',
      ].join('\n'),
    );
    const c = load(['--config', file]);
    expect(c.cameras.map((x) => x.id)).toEqual(['door', 'Yard']);
    const [door, yard] = c.cameras;
    expect(door).toMatchObject({
      kind: 'file',
      detectFps: 3,
      threshold: RiskLevel.High,
      record: { pre_capture: 8, post_capture: 5 },
    });
    expect(door!.motion).toMatchObject({ threshold: 30, contour_area: 0.004 });
    expect(door!.motion.mask).toHaveLength(1);
    expect(yard).toMatchObject({
      kind: 'rtsp',
      rtspTransport: 'udp',
      threshold: RiskLevel.Low,
      sampleInterval: 2,
      sceneMemorySeconds: 30,
      cooldownSeconds: 60,
      language: 'fr',
      languageSet: true,
    });
    // Not in the file: English locally, and through a gateway the client's stored language (not sent).
    expect(door).toMatchObject({ language: 'en', languageSet: false });
  });

  it("reads the earlier system's multi_source_config.json and config.ini; the environment wins", async () => {
    const multi = join(work, 'multi_source_config.json');
    await writeFile(
      multi,
      JSON.stringify({
        video_sources: [
          {
            rtsp_url: 'rtsp://10.0.0.5/a',
            name: 'Shop',
            enabled: true,
            analysis_enabled: true,
            alert_enabled: false,
            extra: 1,
          },
          { rtsp_url: 'rtsp://10.0.0.6/b', name: 'Back', enabled: false },
        ],
      }),
    );
    const ini = join(work, 'config.ini');
    await writeFile(
      ini,
      '[API]\napi_server_url = http://file-host:5000\nsecret_key = from-file\n[VideoAnalysis]\nshort_buffer_duration = 4\nlong_buffer_duration = 12\n',
    );
    const c = load(['--config', multi, '--config', ini], { API_SERVER_URL: 'http://env-host:9000', API_KEY: 'k-env' });
    expect(c.cameras).toHaveLength(1);
    expect(c.cameras[0]).toMatchObject({ name: 'Shop', alertEnabled: false, analysisEnabled: true });
    expect(c.apiServerUrl).toBe('http://env-host:9000');
    expect(c.apiKey).toBe('k-env');
    expect(c.shortBufferSeconds).toBe(4);
    expect(c.longBufferSeconds).toBe(12);
    // Without env, the file's values; VIGINT_API_KEY beats API_KEY beats SECRET_KEY.
    const f = load(['--config', multi, '--config', ini], {});
    expect(f.apiServerUrl).toBe('http://file-host:5000');
    expect(f.apiKey).toBe('from-file');
    expect(load(['--config', multi], { VIGINT_API_KEY: 'v', API_KEY: 'a', SECRET_KEY: 's' }).apiKey).toBe('v');
    expect(load(['--config', multi], { SECRET_KEY: 's' }).apiKey).toBe('s');
  });

  it('applies command-line flags to the camera given on the command line', () => {
    const c = load(['--video-input', video, '--camera-id', 'front', '--detect-fps', '2', '--loop', '--fast']);
    expect(c.cameras[0]).toMatchObject({ id: 'front', detectFps: 2, loop: true, kind: 'file' });
    expect(c.fast).toBe(true);
  });

  it('names every bad value', async () => {
    await writeFile(join(work, 'bad.yaml'), `cameras:\n  - id: a\n    video_input: ${video}\n    threshold: SCARY\n`);
    await writeFile(join(work, 'broken.json'), '{ "cameras": [ ');
    await writeFile(join(work, 'bad.ini'), '[VideoAnalysis]\nshort_buffer_duration = soon\n');
    await writeFile(join(work, 'unknown.yaml'), `cameras:\n  - id: a\n    video_input: ${video}\n    treshold: HIGH\n`);
    await writeFile(
      join(work, 'mask.yaml'),
      `cameras:\n  - id: a\n    video_input: ${video}\n    motion: { mask: [[[0, 0], [2, 0], [1, 1]]] }\n`,
    );
    fails(['--config', join(work, 'bad.yaml')], /threshold "SCARY"/);
    fails(['--config', join(work, 'broken.json')], /broken\.json: not valid JSON/);
    fails(
      ['--config', join(work, 'bad.ini')],
      /\[VideoAnalysis\] short_buffer_duration must be a positive number \(got "soon"\)/,
    );
    fails(
      ['--config', join(work, 'unknown.yaml')],
      /unknown\.yaml: cameras\[0\]\.treshold: unknown key \(did you mean "threshold"\?\)/,
    );
    fails(['--config', join(work, 'mask.yaml')], /motion\.mask/);
    // Each bad value names its key, what it got and what it takes (issue: `Expected union value` said neither).
    const bad = async (name: string, yaml: string, message: RegExp) => {
      await writeFile(join(work, name), yaml);
      fails(['--config', join(work, name)], message);
    };
    await bad(
      'lang.yaml',
      `cameras:\n  - id: a\n    video_input: ${video}\n    language: de\n`,
      /lang\.yaml: cameras\[0\]\.language: "de" is not allowed; use en or fr/,
    );
    await bad(
      'fps.yaml',
      `defaults:\n  detect_fps: 99\ncameras: []\n`,
      /defaults\.detect_fps: must be a number from 0 \(exclusive\) to 30 \(got 99\)/,
    );
    await bad(
      'clip.yaml',
      `cameras:\n  - id: a\n    video_input: ${video}\n    record: { max_clip: 2 }\n`,
      /cameras\[0\]\.record\.max_clip: must be a number from 5 to 300 \(got 2\)/,
    );
    await bad(
      'id.yaml',
      `cameras:\n  - id: a b\n    video_input: ${video}\n`,
      /cameras\[0\]\.id: "a b" is not allowed; use letters/,
    );
    await bad('top.yaml', `camera:\n  - id: a\n`, /no camera/);
    fails(['--config', join(work, 'missing.yaml')], /cannot read config file .*missing\.yaml: ENOENT/);
    fails([], /no camera/);
    fails(['--rtsp-url', 'not a url'], /invalid RTSP URL in --rtsp-url: "not a url" is not a URL/);
    fails(['--video-input', video], /invalid environment: EMAIL_SMTP_PORT/, { EMAIL_SMTP_PORT: 'many' });
    fails(['--video-input', video], /API server URL.*http/, { API_SERVER_URL: 'ftp://x' });
    expect(() => parseCli(['--detect-fps', '0'])).toThrow(/--detect-fps "0"/);
    expect(() => parseCli(['--rtsp-transport', 'quic'])).toThrow(/--rtsp-transport "quic"/);
    expect(() => parseCli(['--camera-id', 'a b'])).toThrow(/--camera-id "a b"/);
    expect(() => parseCli(['stray'])).toThrow(UserError);
  });

  it('documents every config file key in docs/agent-config.md and --help', async () => {
    const doc = await readFile(join(import.meta.dirname, '../../../docs/agent-config.md'), 'utf8');
    const camera = AgentFile.properties.cameras.items.properties;
    const keys = [...Object.keys(AgentFile.properties), ...Object.keys(camera), 'max_clip'];
    expect(keys.filter((k) => !doc.includes(`| \`${k}\` |`))).toEqual([]);
    const help = keys.filter((k) => k !== 'video_sources');
    expect(help.filter((k) => !USAGE.includes(k))).toEqual([]);
  });
});
