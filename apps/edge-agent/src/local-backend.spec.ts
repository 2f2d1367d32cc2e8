import { describe, expect, it } from 'vitest';
import { createLocalStores } from '@vigint/alerting';
import { AnalysisStage, CameraState, IncidentType, RiskLevel, type AnalysisResult } from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { LocalBackend, LOCAL_TENANT, type LocalBackendOptions } from './local-backend';

const ANALYSIS: AnalysisResult = {
  has_security_incident: true,
  incident_detected: true,
  incident: true,
  incident_type: IncidentType.Intrusion,
  risk_level: RiskLevel.High,
  analysis: 'A person climbs the fence. They carry a bag.',
  description: 'A person climbs the fence. They carry a bag.',
  confidence: 0.9,
  frame_count: 6,
  frame_indexes: [2],
  model: 'gemini-2.5-flash',
  offline: false,
  token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  ai_calls: [
    {
      stage: AnalysisStage.Screen,
      model: 'gemini-2.5-flash-lite',
      images: 4,
      image_bytes: 1,
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      duration_ms: 1,
    },
    {
      stage: AnalysisStage.Confirm,
      model: 'gemini-2.5-flash',
      images: 6,
      image_bytes: 1,
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      duration_ms: 1,
    },
  ],
  detailed_analysis: 'Confirmed: a person climbs the fence.',
  flash_confirmation: true,
  flash_veto: false,
};

function backend() {
  const stores = createLocalStores();
  const b = new LocalBackend({ stores, log: silentLogger, description: 'test' } as unknown as LocalBackendOptions);
  return { b, stores };
}

describe('LocalBackend records', () => {
  it('announce() records the incident as open with both verdicts; update() moves its end', async () => {
    const { b, stores } = backend();
    const incident = {
      idempotencyKey: 'yard-1767000000000',
      cameraId: 'yard',
      cameraName: 'Yard',
      startedAt: new Date(Date.now() - 5_000),
      detectedAt: new Date(),
      riskLevel: RiskLevel.High,
      analysis: ANALYSIS,
    };
    await b.announce(incident);
    await b.announce(incident);
    const { incidents } = await stores.incidents.list(LOCAL_TENANT, {});
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      cameraId: 'yard',
      status: 'open',
      summary: 'A person climbs the fence.',
      screen: { model: 'gemini-2.5-flash-lite', incident: true },
      confirm: { model: 'gemini-2.5-flash', vetoed: false, description: 'Confirmed: a person climbs the fence.' },
    });
    const endedAt = new Date();
    await b.update({ ...incident, endedAt, masks: [], language: 'en' as never });
    expect((await stores.incidents.findByKey(LOCAL_TENANT, incident.idempotencyKey))?.endedAt).toBe(
      endedAt.toISOString(),
    );
  });

  it('heartbeat() records each camera with its state', async () => {
    const { b, stores } = backend();
    await b.heartbeat([
      {
        cameraId: 'yard',
        cameraName: 'Yard',
        state: CameraState.Reconnecting,
        lastFrameAt: null,
        alertThreshold: RiskLevel.High,
      },
    ]);
    expect(await stores.cameras.list(LOCAL_TENANT)).toMatchObject([
      { id: 'yard', state: 'reconnecting', alertThreshold: 'HIGH', incidentsToday: 0 },
    ]);
  });
});
