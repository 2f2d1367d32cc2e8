import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'vigint-agent-';
const OWNER = 'owner.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A camera's temp dir (segments, snapshots, clips), tagged with this process id. */
export async function makeCameraTempDir(cameraId: string, root = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(root, `${PREFIX}${cameraId}-`));
  await writeFile(join(dir, OWNER), String(process.pid));
  return dir;
}

/**
 * Removes camera temp dirs left by an agent that was killed (SIGKILL, power loss): footage must not linger.
 * Only dirs whose owner process is gone are touched, so agents running side by side are safe.
 */
export async function sweepStaleTempDirs(root = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(root, name);
    const pid = Number((await readFile(join(dir, OWNER), 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
    if (!pid) continue; // not ours to judge (no owner file yet, or written by an older agent)
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
