/**
 * Summarises a V8 `.cpuprofile` (node --cpu-prof): self time by package / source area and by function.
 * Usage: tsx bench/tools/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** `node_modules/@scope/pkg/...` → `@scope/pkg`; workspace sources → `libs/x/y` or `apps/x`. */
function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const ws = /\/(apps\/[^/]+|libs\/(?:core|adapters|util)\/[^/]+|libs\/[^/]+|bench)\//.exec(url);
  if (ws) return ws[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  return url.split('/').slice(-2).join('/');
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
if (p.samples && p.timeDeltas) {
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  }
} else {
  const per =
    (p.endTime - p.startTime) /
    Math.max(
      1,
      p.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0),
    );
  for (const n of p.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * per);
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const byArea = new Map<string, number>();
const byFn = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const a = area(n.callFrame.url, n.callFrame.functionName);
  byArea.set(a, (byArea.get(a) ?? 0) + us);
  const f = `${n.callFrame.functionName || '(anonymous)'} ${a}:${n.callFrame.lineNumber + 1}`;
  byFn.set(f, (byFn.get(f) ?? 0) + us);
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  }
};
console.log(
  `${file}: ${(total / 1e6).toFixed(1)} s of samples (wall ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s)`,
);
show('self time by area', byArea);
show('self time by function', byFn);
