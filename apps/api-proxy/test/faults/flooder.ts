/*
 * The flooding tenant of the scale fault test, in a process of its own (a flooder is another machine): were it
 * in the test's process, its requests would share the event loop that times the quiet tenants' requests, and
 * that wait would be counted as the gateways' latency.
 *
 * Env: FLOOD_URLS (comma-separated gateways, taken in turn), FLOOD_KEY, FLOOD_FRAME (base64 JPEG). Three loops
 * (alerts, videos, alerts), async, ignoring 429s but pausing 20 ms after one, until a line arrives on stdin.
 * Prints one JSON line per request: { kind, status, ms, jobId?, error? }.
 */
export {};

const urls = (process.env.FLOOD_URLS ?? '').split(',').filter(Boolean);
const key = process.env.FLOOD_KEY ?? '';
const frame = process.env.FLOOD_FRAME ?? '';
if (urls.length === 0 || !key || !frame) {
  process.stderr.write('flooder: FLOOD_URLS, FLOOD_KEY and FLOOD_FRAME are required\n');
  process.exit(2);
}

let flooding = true;
let n = 0;
process.stdin.once('data', () => {
  flooding = false;
});

async function send(kind: 'alert' | 'create'): Promise<number> {
  const i = n++;
  const body =
    kind === 'alert'
      ? { analysis: `Flood ${i}`, risk_level: 'HIGH', client_id: `cam-flood-${i}`, use_server_buffer: false }
      : { frames: [frame, frame], fps: 2, video_format: 'mp4' };
  const t = performance.now();
  let status = 0;
  let json: Record<string, unknown> = {};
  try {
    const res = await fetch(`${urls[i % urls.length]}${kind === 'alert' ? '/api/video/alert' : '/api/video/create'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, prefer: 'respond-async' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    status = res.status;
    json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  } catch (err) {
    json = { error: (err as Error).message };
  }
  const jobId = typeof json.job_id === 'string' ? json.job_id : undefined;
  const line = {
    kind,
    status,
    ms: performance.now() - t,
    ...(jobId ? { jobId } : {}),
    ...(status !== 202 && status !== 429 ? { error: JSON.stringify(json).slice(0, 300) } : {}),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return status;
}

async function loop(kind: 'alert' | 'create'): Promise<void> {
  while (flooding) {
    const status = await send(kind);
    if (status === 429) await new Promise((r) => setTimeout(r, 20));
  }
}

await Promise.all([loop('alert'), loop('create'), loop('alert')]);
process.exit(0);
