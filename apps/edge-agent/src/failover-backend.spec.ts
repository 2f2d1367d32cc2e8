import { describe, expect, it } from 'vitest';
import { AlertLanguage, RiskLevel, type AnalysisResult } from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import type { DeliveryResult, Incident, IncidentBackend } from './backend';
import { FailoverBackend, type RecordableRemote } from './failover-backend';

const incident = (key: string): Incident => ({
  idempotencyKey: key,
  cameraId: 'door',
  cameraName: 'Door',
  startedAt: new Date(0),
  endedAt: new Date(10_000),
  detectedAt: new Date(1000),
  riskLevel: RiskLevel.High,
  analysis: {} as AnalysisResult,
  masks: [],
  language: AlertLanguage.En,
});

/**
 * A gateway that mails each key once when reachable, and lists incidents by key (sent or recorded); an outbox that
 * replays what was queued when it comes back. A local backend that mails. A clock the failover's waits advance.
 */
function world(opts: { local: boolean; backAt?: number }) {
  let now = 0;
  let up = true;
  const mails: string[] = [];
  const listed = new Map<string, 'sent' | 'recorded'>();
  const outbox: Array<() => void> = [];
  const remote: RecordableRemote = {
    mode: 'remote',
    describe: () => 'remote',
    analyze: async () => ({}) as AnalysisResult,
    deliver: async (inc) => {
      const send = () => {
        if (!listed.has(inc.idempotencyKey)) mails.push(`gateway:${inc.idempotencyKey}`);
        listed.set(inc.idempotencyKey, 'sent');
      };
      if (!up) {
        outbox.push(send);
        return { status: 'queued', destination: 'outbox:x' };
      }
      send();
      return { status: 'sent', destination: 'gateway' };
    },
    record: async (inc, _clip, sent: DeliveryResult) => {
      expect(sent.status).toBe('sent');
      const store = () => {
        if (!listed.has(inc.idempotencyKey)) listed.set(inc.idempotencyKey, 'recorded');
      };
      if (!up) outbox.push(store);
      else store();
      return { status: up ? 'sent' : 'queued', destination: 'gateway' };
    },
    notify: async () => ({ status: 'sent', destination: 'gateway' }),
    announce: async (inc) => {
      if (up && !listed.has(inc.idempotencyKey)) listed.set(inc.idempotencyKey, 'recorded');
    },
    heartbeat: async () => undefined,
    close: async () => undefined,
  };
  const local: IncidentBackend = {
    mode: 'local',
    describe: () => 'local',
    analyze: async () => ({}) as AnalysisResult,
    deliver: async (inc) => {
      mails.push(`smtp:${inc.idempotencyKey}`);
      return { status: 'sent', destination: 'smtp:owner@example.com' };
    },
    notify: async () => ({ status: 'sent', destination: 'smtp' }),
    announce: async () => undefined,
    heartbeat: async () => undefined,
    close: async () => undefined,
  };
  const backend = new FailoverBackend({
    remote,
    local: opts.local ? local : undefined,
    localMissing: opts.local ? undefined : 'no GOOGLE_API_KEY',
    probe: async () => {
      if (!up) throw new Error('ECONNREFUSED');
    },
    failoverAfterMs: 30_000,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      if (opts.backAt !== undefined && now >= opts.backAt && !up) back();
    },
    log: silentLogger,
  });
  const back = () => {
    up = true;
    for (const f of outbox.splice(0)) f();
  };
  return { backend, mails, listed, down: () => (up = false), back, time: () => now };
}

describe('FailoverBackend', () => {
  it('gateway down during an event: one e-mail after the failover delay; gateway back: listed once, no second e-mail', async () => {
    const w = world({ local: true });
    w.down();
    const res = await w.backend.deliver(incident('door-1'), '/tmp/clip.mp4');
    expect(res).toMatchObject({ status: 'sent', destination: 'smtp:owner@example.com' });
    expect(res.detail).toMatch(/gateway unreachable 30 s: sent by the agent/);
    expect(w.time()).toBe(30_000); // waited the failover delay, no longer
    expect(w.mails).toEqual(['smtp:door-1']);
    expect(w.backend.status()).toMatch(/failover, alerts go by local AI \+ SMTP/);
    w.back();
    expect(w.mails).toEqual(['smtp:door-1']);
    expect([...w.listed]).toEqual([['door-1', 'recorded']]);
    // The next incident goes through the gateway again.
    await w.backend.deliver(incident('door-2'), undefined);
    expect(w.mails).toEqual(['smtp:door-1', 'gateway:door-2']);
    expect(w.backend.status()).toBeUndefined();
  });

  it('the gateway back within the delay: the alert goes through it, nothing local', async () => {
    const w = world({ local: true, backAt: 10_000 }); // the gateway returns 10 s into the outage
    w.down();
    expect(await w.backend.deliver(incident('door-1'), undefined)).toMatchObject({
      status: 'sent',
      destination: 'gateway',
    });
    expect(w.mails).toEqual(['gateway:door-1']);
    expect(w.time()).toBe(10_000);
  });

  it('without local credentials the outbox keeps the incident, and the status line says so', async () => {
    const w = world({ local: false });
    w.down();
    expect(await w.backend.deliver(incident('door-1'), undefined)).toMatchObject({ status: 'queued' });
    expect(w.mails).toEqual([]);
    expect(w.backend.status()).toMatch(/alerts wait in the outbox \(no GOOGLE_API_KEY\)/);
    expect(w.backend.describe()).toMatch(/no failover: no GOOGLE_API_KEY/);
    w.back();
    expect(w.mails).toEqual(['gateway:door-1']);
  });
});
