import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, stopChild, waitForPort } from './process';

/*
 * Debian's rtsp-server-perl on free loopback ports, and ffmpeg publishing to it: a real RTSP camera for tests.
 * It answers 400 to RTSP over TCP, so readers use UDP (or fall back to it).
 */

export interface TestRtspServer {
  /** Where readers connect (`rtsp://127.0.0.1:<clientPort>/<path>`). */
  clientPort: number;
  /** Where publishers push (`rtsp://127.0.0.1:<sourcePort>/<path>`). */
  sourcePort: number;
  proc: ChildProcess;
  /** The reader URL of a stream path. */
  url(path: string): string;
  stop(): Promise<void>;
}

/** Starts rtsp-server-perl and resolves once both its ports accept connections. */
export async function startRtspServer(
  options: {
    /** Spawns the server (default: output ignored); a caller that wants its output in failure messages pipes it. */
    spawnServer?: (cmd: string, args: string[]) => ChildProcess;
    timeoutMs?: number;
    /** First RTP port (even). Its default starts at 20000, where another test's server may already be. */
    rtpStartPort?: number;
  } = {},
): Promise<TestRtspServer> {
  const clientPort = await freePort();
  const sourcePort = await freePort();
  const args = [
    '-c',
    String(clientPort),
    '-s',
    String(sourcePort),
    '--client_listen_address',
    '127.0.0.1',
    '--source_listen_address',
    '127.0.0.1',
    '--rtp_start_port',
    String(options.rtpStartPort ?? 50_000 + 2 * Math.floor(Math.random() * 5_000)),
  ];
  const proc = options.spawnServer
    ? options.spawnServer('rtsp-server-perl', args)
    : spawn('rtsp-server-perl', args, { stdio: 'ignore' });
  try {
    await waitForPort(sourcePort, options.timeoutMs);
    await waitForPort(clientPort, options.timeoutMs);
  } catch (err) {
    await stopChild(proc);
    throw err;
  }
  return {
    clientPort,
    sourcePort,
    proc,
    url: (path) => `rtsp://127.0.0.1:${clientPort}/${path}`,
    stop: () => stopChild(proc),
  };
}

/**
 * ffmpeg publishing a lavfi source (e.g. `testsrc2=size=640x360:rate=10`) in real time, H.264 with a short GOP so a
 * reader gets a key frame soon. Stop it with `stopChild`.
 */
export function publishStream(
  ffmpeg: string,
  server: Pick<TestRtspServer, 'sourcePort'>,
  path: string,
  source: string,
) {
  return spawn(
    ffmpeg,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      source,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-g',
      '10',
      '-f',
      'rtsp',
      `rtsp://127.0.0.1:${server.sourcePort}/${path}`,
    ],
    { stdio: 'ignore' },
  );
}
