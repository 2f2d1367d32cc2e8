import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, portOpen, startTsxChild, stopChild, waitForHealthy, waitForPort } from './process';

describe('test process helpers', () => {
  it('freePort gives a port that can be bound, and waitForPort sees it once something listens', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await portOpen(port)).toBe(false);
    const srv = createServer();
    setTimeout(() => srv.listen(port, '127.0.0.1'), 300);
    try {
      await waitForPort(port, 5000);
      expect(await portOpen(port)).toBe(true);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });

  it('waitForPort throws when nothing listens', async () => {
    const port = await freePort();
    await expect(waitForPort(port, 300)).rejects.toThrow(`port ${port} never opened`);
  });

  it('stopChild ends a child that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const child = spawn(
      process.execPath,
      ['-e', "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    await new Promise((r) => child.stdout!.once('data', r));
    await stopChild(child, { graceMs: 200 });
    expect(child.signalCode).toBe('SIGKILL');
    await stopChild(child); // already gone: resolves at once
  });

  it('startTsxChild runs a TypeScript entry point, keeps its output and stops it with SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigint-tsx-child-'));
    try {
      const script = join(dir, 'main.ts');
      await writeFile(
        script,
        'const n: number = 42;\nconsole.log(`ready ${n} ${process.env.GREETING}`);\nsetInterval(() => {}, 1000);\n',
      );
      const child = startTsxChild('demo', script, { env: { GREETING: 'hi' } });
      for (let i = 0; i < 200 && !child.output.join('').includes('ready'); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(child.output.join('')).toContain('ready 42 hi');
      await child.stop();
      expect(child.proc.signalCode).toBe('SIGTERM');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('waitForHealthy answers once /api/health is 200, and throws with the output of a child that exits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigint-health-'));
    try {
      const port = await freePort();
      const ok = join(dir, 'ok.ts');
      await writeFile(
        ok,
        `import { createServer } from 'node:http';\ncreateServer((_q, r) => r.end('ok')).listen(${port}, '127.0.0.1');\n`,
      );
      const server = startTsxChild('ok', ok);
      try {
        await waitForHealthy(`http://127.0.0.1:${port}`, server, 20_000);
      } finally {
        await server.stop();
      }
      const bad = join(dir, 'bad.ts');
      await writeFile(bad, "console.error('boom: no config');\nprocess.exit(1);\n");
      await expect(waitForHealthy(`http://127.0.0.1:${port}`, startTsxChild('bad', bad), 20_000)).rejects.toThrow(
        /bad exited:[\s\S]*boom: no config/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
