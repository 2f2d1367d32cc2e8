import { describe, expect, it } from 'vitest';
import { CameraState } from '@vigint/contracts';
import { formatSummary } from './status-reporter';

describe('formatSummary', () => {
  it('counts a suppressed duplicate as not sent', () => {
    const text = formatSummary([
      {
        id: 'door',
        state: CameraState.Ended,
        motion: false,
        stats: {
          framesRead: 10,
          motionFrames: 5,
          analyses: 2,
          aiCalls: 2,
          incidents: 2,
          skipped: 0,
          errors: 0,
          alerts: [
            { kind: 'incident', cameraId: 'door', status: 'sent', destination: 'a.eml', idempotencyKey: 'door-1' },
            {
              kind: 'incident',
              cameraId: 'door',
              status: 'suppressed',
              destination: '',
              idempotencyKey: 'door-2',
              detail: 'same scene as alert door-1 within 60 s',
            },
          ],
        },
      },
    ]);
    expect(text).toContain('alerts sent 1, not sent 1');
    expect(text).toContain('incident suppressed');
  });
});
