import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './fake-telegram';

/*
 * A webhook receiver for tests: records every request (headers and raw body, so a test can check the
 * signature over the exact bytes), can answer 5xx for the next N calls, and keeps at most one accepted
 * delivery per Idempotency-Key the way a careful receiver does (a repeat answers 200 and is counted).
 */

export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface FakeWebhook {
  readonly url: string;
  /** Every request, refused ones included. */
  readonly requests: WebhookRequest[];
  /** Accepted deliveries, one per Idempotency-Key. */
  readonly deliveries: WebhookRequest[];
  failNext(count: number, status?: number): void;
  waitForDeliveries(count: number, timeoutMs?: number): Promise<WebhookRequest[]>;
  stop(): Promise<void>;
}

export async function startFakeWebhook(): Promise<FakeWebhook> {
  const requests: WebhookRequest[] = [];
  const deliveries: WebhookRequest[] = [];
  const seen = new Set<string>();
  const waiters = new Set<() => void>();
  let failures = { count: 0, status: 503 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let status = 200;
      if (failures.count > 0) {
        failures.count--;
        status = failures.status;
      }
      const entry = { headers: req.headers, body, status };
      requests.push(entry);
      const key = String(req.headers['idempotency-key'] ?? '');
      if (status === 200 && !seen.has(key)) {
        seen.add(key);
        deliveries.push(entry);
      }
      for (const w of waiters) w();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{"received":true}' : '{"error":"unavailable"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/vigint`,
    requests,
    deliveries,
    failNext(count, status = 503) {
      failures = { count, status };
    },
    waitForDeliveries(count, timeoutMs = 15_000) {
      return waitFor(() => deliveries.length >= count, waiters, timeoutMs, `${count} webhook delivery(ies)`).then(
        () => deliveries,
      );
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
