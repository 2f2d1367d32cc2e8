import { AlertLanguage, AnalysisStage, AppError, ErrorCode, RiskLevel, type Polygon } from '@vigint/contracts';
import { GeminiAdapter } from '@vigint/gemini';
import { ImageAdapter } from '@vigint/image';
import {
  geminiReply,
  imageDimensions,
  makeJpegFrames,
  makeTestJpeg,
  startFakeGemini,
  type FakeGemini,
} from '@vigint/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnalysisService, spreadIndexes } from './analysis.service';

const models = { short: 'gemini-2.5-flash-lite', long: 'gemini-2.5-flash' };
const image = new ImageAdapter();
let fake: FakeGemini;
let short: Buffer[];
let long: Buffer[];

beforeAll(async () => {
  fake = await startFakeGemini({ apiKey: 'k' });
  // 720p camera frames: the AI must get them downscaled.
  long = await makeJpegFrames(12, { width: 1280, height: 720 });
  short = long.slice(-4);
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function service(over: Partial<ConstructorParameters<typeof AnalysisService>[0]> = {}) {
  const provider = new GeminiAdapter({ apiKey: 'k', baseUrl: fake.baseUrl, backoffBaseMs: 20 });
  return new AnalysisService({ provider, image, models, ...over });
}

describe('AnalysisService (two stages against the fake Gemini)', () => {
  it('makes one request to the short model when screening sees nothing', async () => {
    fake.enqueue(geminiReply.noIncident());
    const result = await service().analyze({ frames: short, longFrames: long, language: AlertLanguage.En });
    expect(fake.requestCount).toBe(1);
    expect(fake.requests[0]!.model).toBe(models.short);
    expect(fake.requests[0]!.images).toHaveLength(3);
    expect(result).toMatchObject({
      has_security_incident: false,
      risk_level: RiskLevel.None,
      model: models.short,
      offline: false,
      frame_count: 4,
    });
    expect(result.flash_confirmation).toBeUndefined();
    expect(result.flash_veto).toBeUndefined();
    expect(result.ai_calls).toHaveLength(1);
    expect(result.token_usage.total_tokens).toBeGreaterThan(0);
  });

  it('lets the long model veto the screening: no incident, flash_veto and the reason', async () => {
    fake.enqueue(
      geminiReply.incident({ incident_type: 'intrusion', risk_level: 'HIGH', frame_indexes: [2] }),
      geminiReply.verdict({
        incident: false,
        incident_type: 'intrusion',
        // Inconsistent on purpose: a veto must still end with no alerting risk.
        risk_level: 'MEDIUM',
        description: 'The person is the resident taking the bins out.',
        confidence: 0.9,
        frame_indexes: [],
      }),
    );
    const result = await service().analyze({
      frames: short,
      longFrames: long,
      language: AlertLanguage.En,
      cameraName: 'Garage',
    });
    expect(fake.requests.map((r) => r.model)).toEqual([models.short, models.long]);
    expect(result).toMatchObject({
      has_security_incident: false,
      incident_detected: false,
      risk_level: RiskLevel.None,
      incident_type: 'none',
      flash_confirmation: false,
      flash_veto: true,
      veto_reason: 'The person is the resident taking the bins out.',
      detailed_analysis: 'The person is the resident taking the bins out.',
      model: models.long,
    });
    // The confirming model sees frames spread across the long buffer, and the screening's verdict.
    expect(fake.requests[1]!.images).toHaveLength(6);
    expect(fake.requests[1]!.prompt).toContain('A person climbs over the fence.');
    expect(fake.requests[1]!.prompt).toContain('"Garage"');
    expect(result.ai_calls.map((c) => c.stage)).toEqual([AnalysisStage.Screen, AnalysisStage.Confirm]);
    expect(result.token_usage.total_tokens).toBe(
      result.ai_calls[0]!.usage.total_tokens + result.ai_calls[1]!.usage.total_tokens,
    );
  });

  it('confirms an incident with the long model verdict and maps frame indexes to the caller frames', async () => {
    fake.enqueue(
      geminiReply.incident(),
      geminiReply.incident({
        incident_type: 'theft',
        risk_level: 'CRITICAL',
        description: 'Un vol.',
        frame_indexes: [1, 5, 9],
      }),
    );
    const result = await service().analyze({ frames: short, longFrames: long, language: AlertLanguage.Fr });
    expect(result).toMatchObject({
      has_security_incident: true,
      flash_confirmation: true,
      flash_veto: false,
      risk_level: 'CRITICAL',
      incident_type: 'theft',
    });
    expect(result.veto_reason).toBeUndefined();
    // 6 of 12 frames sent (0, 2, 4, 7, 9, 11): image 1 is frame 2, image 5 is frame 11, image 9 does not exist.
    expect(result.frame_indexes).toEqual([2, 11]);
    expect(fake.requests[0]!.prompt).toContain('French');
  });

  it('sends images downscaled to 768 px, as JPEG, with the privacy masks blacked out', async () => {
    fake.enqueue(geminiReply.noIncident());
    // Left quarter of the picture is private.
    const mask: Polygon = [
      [0, 0],
      [0.25, 0],
      [0.25, 1],
      [0, 1],
    ];
    const bright = await makeTestJpeg({ width: 1280, height: 720, color: [230, 230, 230] });
    const result = await service().analyze({ frames: [bright, bright], language: AlertLanguage.En, masks: [mask] });
    const sent = fake.requests[0]!.images;
    expect(sent).toHaveLength(2);
    for (const img of sent) {
      expect(img.mimeType).toBe('image/jpeg');
      expect(imageDimensions(img.data)).toEqual({ width: 768, height: 432 });
      const gray = await image.grayscale(img.data, 64);
      const at = (x: number, y: number) => gray.data[y * gray.width + x]!;
      expect(at(4, 18)).toBeLessThan(20); // inside the mask
      expect(at(48, 18)).toBeGreaterThan(200); // outside
    }
    expect(result.ai_calls[0]!.image_bytes).toBe(sent[0]!.bytes + sent[1]!.bytes);
  });

  it('keeps the calls already made on the error when the confirming stage fails', async () => {
    fake.enqueue(geminiReply.incident(), geminiReply.text('not json'));
    const err = (await service()
      .analyze({ frames: short, longFrames: long, language: AlertLanguage.En })
      .catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe(ErrorCode.AiBadReply);
    expect(err.details).toMatchObject({ stage: AnalysisStage.Confirm });
    expect((err.details as { ai_calls: unknown[] }).ai_calls).toHaveLength(1);
  });

  it('keeps at most `concurrency` AI calls in flight', async () => {
    fake.setDefault(geminiReply.noIncident({ delayMs: 300 }));
    const svc = service({ concurrency: 1 });
    await Promise.all([0, 1, 2].map(() => svc.analyze({ frames: short.slice(0, 1), language: AlertLanguage.En })));
    fake.setDefault(geminiReply.noIncident());
    const at = fake.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(at).toHaveLength(3);
    // With one slot, a request can only start after the previous reply (300 ms later) came back.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(290);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(290);
  });
});

describe('AnalysisService offline (no provider)', () => {
  it('rates a moving person-sized object and says it is the offline motion-only analyzer', async () => {
    const frames = await makeJpegFrames(4, { width: 320, height: 240 });
    const result = await new AnalysisService({ image, models }).analyze({ frames, language: AlertLanguage.En });
    expect(result.offline).toBe(true);
    expect(result.model).toBe('offline-motion');
    expect(result.analysis).toMatch(/^Offline motion-only analyzer/);
    expect(result.risk_level).not.toBe(RiskLevel.None);
    expect(result.ai_calls).toEqual([]);
    expect(fake.requestCount).toBe(0);
  });

  it('sees nothing in a still scene, and writes French when asked', async () => {
    const frames = await makeJpegFrames(4, { width: 320, height: 240, movingBox: false });
    const result = await new AnalysisService({ image, models }).analyze({ frames, language: AlertLanguage.Fr });
    expect(result).toMatchObject({ risk_level: RiskLevel.None, has_security_incident: false });
    expect(result.analysis).toMatch(/^Analyse hors ligne/);
  });
});

describe('spreadIndexes', () => {
  it('spreads over the buffer with first and last', () => {
    expect(spreadIndexes(12, 6)).toEqual([0, 2, 4, 7, 9, 11]);
    expect(spreadIndexes(3, 6)).toEqual([0, 1, 2]);
    expect(spreadIndexes(5, 1)).toEqual([4]);
  });
});
