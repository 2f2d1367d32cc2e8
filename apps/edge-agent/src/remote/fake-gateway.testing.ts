import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One alert the fake gateway took in, as its worker would have mailed it. */
export interface FakeMail {
  key: string;
  clientId: string;
  analysis: string;
  clip?: Buffer;
  clipName?: string;
}

export type FakeMode = 'up' | '503' | 'lose-reply' | '400' | 'mail-fails-once' | 'camera-quota';

/**
 * A stand-in for api-proxy in unit tests of the distributed mode: speaks the alert and analyze routes (multipart or
 * JSON), dedupes alerts by Idempotency-Key the way the real gateway must, and can be stopped (connection refused),
 * answer 503, or take an alert and drop the connection before replying (a lost reply).
 */
export class FakeGateway {
  readonly mails: FakeMail[] = [];
  /** Every alert request that reached the server, keys in arrival order (retries included). */
  readonly alertAttempts: string[] = [];
  readonly analyzeBodies: FormData[] = [];
  /** Bodies of POST /api/incidents and POST /api/cameras/heartbeat, in arrival order. */
  readonly announced: Record<string, unknown>[] = [];
  readonly heartbeats: Record<string, unknown>[] = [];
  mode: FakeMode = 'up';
  private server?: Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and cuts open connections: the agent now gets ECONNREFUSED. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.url === '/api/health') {
      return this.mode === '503'
        ? json(503, { error: 'redis down', code: 'DEPENDENCY_UNAVAILABLE' })
        : json(200, { status: 'healthy', timestamp: Date.now() / 1000, services: {} });
    }
    const form = String(req.headers['content-type']).startsWith('multipart/')
      ? await new Response(body, { headers: { 'content-type': String(req.headers['content-type']) } }).formData()
      : undefined;
    if (req.url === '/api/video/analyze' && form) {
      this.analyzeBodies.push(form);
      return json(200, { ...NO_INCIDENT_REPLY, frame_count: form.getAll('frames').length });
    }
    if (req.url === '/api/incidents' || req.url === '/api/cameras/heartbeat') {
      if (this.mode === '503') return json(503, { error: 'database down', code: 'DEPENDENCY_UNAVAILABLE' });
      if (this.mode === 'camera-quota' && req.url === '/api/cameras/heartbeat')
        return json(429, {
          error: 'camera quota exceeded: at most 1 cameras per client; not recorded: garage',
          code: 'RATE_LIMITED',
          field: 'cameras',
        });
      const value = JSON.parse(body.toString()) as Record<string, unknown>;
      (req.url === '/api/incidents' ? this.announced : this.heartbeats).push(value);
      return json(200, req.url === '/api/incidents' ? { id: 'fake-incident', ...value } : { cameras: [] });
    }
    if (req.url !== '/api/video/alert') return json(404, { error: 'not found', code: 'NOT_FOUND' });
    const key = String(req.headers['idempotency-key'] ?? '');
    this.alertAttempts.push(key);
    if (this.mode === '503') return json(503, { error: 'queue unavailable', code: 'DEPENDENCY_UNAVAILABLE' });
    if (this.mode === '400')
      return json(400, { error: 'invalid risk_level', code: 'VALIDATION_FAILED', field: 'risk_level' });
    if (this.mode === 'mail-fails-once') {
      this.mode = 'up';
      return json(207, {
        success: false,
        status: 'failed',
        error: 'smtp timeout',
        alert_id: null,
        email_delivery: { success: false, attempts: 0 },
      });
    }
    const field = (name: string): string =>
      String(form ? (form.get(name) ?? '') : ((JSON.parse(body.toString()) as Record<string, unknown>)[name] ?? ''));
    const duplicate = this.mails.some((m) => m.key === key);
    if (!duplicate) {
      const file = form?.get('video_data');
      this.mails.push({
        key,
        clientId: field('client_id'),
        analysis: field('analysis'),
        clip: file instanceof Blob ? Buffer.from(await file.arrayBuffer()) : undefined,
        clipName: file instanceof File ? file.name : undefined,
      });
    }
    if (this.mode === 'lose-reply') {
      this.mode = 'up'; // one lost reply, then the retry gets its answer
      res.socket?.destroy();
      return;
    }
    json(200, {
      success: true,
      status: duplicate ? 'suppressed' : 'delivered',
      alert_id: `alert-${key}`,
      to: 'owner@example.com',
      client_name: 'test client',
      risk_level: field('risk_level'),
      incident_summary: field('analysis'),
      video_link: { available: false, video_url: null, video_id: null, expiration_time: null },
      email_delivery: {
        success: true,
        attempts: 1,
        message_id: `<${key}@fake>`,
        suppressed_reason: duplicate ? 'duplicate idempotency key' : undefined,
      },
    });
  }
}

const NO_INCIDENT_REPLY = {
  success: true,
  has_security_incident: false,
  incident_detected: false,
  incident: false,
  incident_type: 'none',
  risk_level: 'NONE',
  analysis: 'nothing',
  description: 'nothing',
  confidence: 0.9,
  frame_indexes: [],
  model: 'fake',
  offline: false,
  token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  ai_calls: [],
};
