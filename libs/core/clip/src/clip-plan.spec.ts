import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@vigint/contracts';
import { clipBounds, planClip, type RecordedSegment } from './clip-plan';

// Segments of 4 s starting at t=100 (an epoch-like clock): 100, 104, 108, 112, 116 (last still recording).
const segments: RecordedSegment[] = [100, 104, 108, 112, 116].map((start, i) => ({ file: `seg-${i}.ts`, start }));

describe('planClip', () => {
  it('picks the segments covering pre-roll + event + post-roll and offsets from the first', () => {
    const plan = planClip({ segments, eventStart: 110, eventEnd: 113, preCapture: 5, postCapture: 2 });
    expect(plan).toEqual({
      segmentFiles: ['seg-1.ts', 'seg-2.ts', 'seg-3.ts'],
      startTime: 1,
      endTime: 11,
      clipStart: 105,
      clipEnd: 115,
      missingPreSeconds: 0,
      missingPostSeconds: 0,
    });
  });

  it('reports pre-roll that was never recorded', () => {
    const plan = planClip({ segments, eventStart: 102, eventEnd: 103, preCapture: 10, postCapture: 0 });
    expect(plan).toMatchObject({ segmentFiles: ['seg-0.ts'], startTime: 0, endTime: 3, missingPreSeconds: 8 });
  });

  it('uses explicit segment ends and reports missing post-roll after the last one', () => {
    const closed = segments.map((s) => ({ ...s, end: s.start + 4 }));
    const plan = planClip({ segments: closed, eventStart: 118, eventEnd: 119, preCapture: 1, postCapture: 5 });
    expect(plan).toMatchObject({ segmentFiles: ['seg-4.ts'], startTime: 1, endTime: 4, missingPostSeconds: 4 });
  });

  it('sorts unsorted input and skips gaps', () => {
    const withGap: RecordedSegment[] = [
      { file: 'b', start: 20, end: 24 },
      { file: 'a', start: 0, end: 4 },
    ];
    expect(planClip({ segments: withGap, eventStart: 21, eventEnd: 22, preCapture: 10, postCapture: 1 })).toMatchObject(
      {
        segmentFiles: ['b'],
        startTime: 0,
        endTime: 3,
        missingPreSeconds: 9,
      },
    );
  });

  it('returns null when nothing overlaps', () => {
    expect(planClip({ segments, eventStart: 10, eventEnd: 20, preCapture: 1, postCapture: 1 })).toBeNull();
    expect(planClip({ segments: [], eventStart: 10, eventEnd: 20, preCapture: 1, postCapture: 1 })).toBeNull();
  });

  it('rejects an event that ends before it starts, or negative captures', () => {
    expect(() => planClip({ segments, eventStart: 110, eventEnd: 100, preCapture: 1, postCapture: 1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.ValidationFailed }),
    );
    expect(() => planClip({ segments, eventStart: 110, eventEnd: 111, preCapture: -1, postCapture: 1 })).toThrow(
      /negative/,
    );
    expect(() => planClip({ segments, eventStart: NaN, eventEnd: 111, preCapture: 1, postCapture: 1 })).toThrow(
      /finite/,
    );
  });
});

describe('clipBounds', () => {
  it('is the pre/post window, capped at maxEnd (an event closed early), and what planClip cuts', () => {
    const w = { eventStart: 110, eventEnd: 113, preCapture: 5, postCapture: 4 };
    expect(clipBounds(w)).toEqual({ from: 105, to: 117 });
    expect(clipBounds({ ...w, maxEnd: 114 })).toEqual({ from: 105, to: 114 });
    expect(planClip({ ...w, maxEnd: 114, segments })).toMatchObject({ clipStart: 105, clipEnd: 114 });
  });
});
