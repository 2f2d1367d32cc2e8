import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnrecoverableError, Worker } from 'bullmq';
import { QueueName } from '@vigint/contracts';
import { ADMIN, startGateway, type Harness } from './gateway.harness';

/*
 * A sync alert whose job ran and failed for good answers 207 `failed` naming its job, so the caller can look it
 * up (GET /api/jobs/{id}). Before, that reply had no job_id (seen once in the scale fault test under load).
 * The gateway's own worker is not started: a BullMQ worker in this test takes the alert job and fails it the
 * way the real one does when SMTP keeps refusing (a retryable error, attempts spent).
 */

let h: Harness;
let key: string;
let worker: Worker | undefined;

beforeAll(async () => {
  h = await startGateway({ SYNC_WAIT_MS: '20000' });
  const r = await h.app.inject({
    method: 'POST',
    url: '/admin/clients',
    headers: { 'x-admin-key': ADMIN },
    payload: { name: 'failed-alert', email: 'failed-alert@example.com' },
  });
  key = r.json().api_key as string;
}, 60_000);
afterAll(async () => {
  await worker?.close();
  await h?.close();
});

describe('a sync alert whose job failed for good', () => {
  it('answers 207 failed with the job id, and the job is there to read', async () => {
    worker = new Worker(
      QueueName.Alert,
      async (): Promise<void> => {
        // Failed for good at once: the real worker gets there after its attempts with backoff.
        throw new UnrecoverableError('451 4.3.0 smtp refused');
      },
      { connection: h.app.svc.queue.connection.duplicate({ maxRetriesPerRequest: null }), prefix: h.prefix },
    );
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/video/alert',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      payload: JSON.stringify({ analysis: 'Person at the gate', use_server_buffer: false, client_id: 'gate' }),
    });
    expect(r.statusCode, r.body).toBe(207);
    const body = r.json();
    expect(body).toMatchObject({ success: false, status: 'failed', alert_id: null });
    expect(body.job_id).toMatch(/^alert-/);
    const job = await h.app.inject({ method: 'GET', url: `/api/jobs/${body.job_id}`, headers: { 'x-api-key': key } });
    expect(job.statusCode).toBe(200);
    expect(job.json()).toMatchObject({ state: 'failed' });
    // The worker's own text stays in its log: the caller reads a fixed sentence.
    expect(r.body).not.toContain('smtp refused');
  }, 60_000);
});
