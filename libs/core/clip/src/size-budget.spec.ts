import { describe, expect, it } from 'vitest';
import { containerOverheadBytes, emailBudgetBytes, even, MIN_BITS_PER_PIXEL, planEncodeTarget } from './size-budget';

describe('emailBudgetBytes', () => {
  it('leaves room for base64 (4/3), line breaks and headers', () => {
    const budget = emailBudgetBytes(25 * 1024 * 1024);
    // base64 with CRLF every 76 chars of the budget, plus headroom, fits the limit...
    const encoded = Math.ceil(budget / 3) * 4 * (78 / 76);
    expect(encoded).toBeLessThanOrEqual(25 * 1024 * 1024);
    // ...and the budget is not wastefully small (~73% of the limit).
    expect(budget / (25 * 1024 * 1024)).toBeGreaterThan(0.72);
  });

  it('is 0 for nonsense limits', () => {
    expect(emailBudgetBytes(0)).toBe(0);
    expect(emailBudgetBytes(-5)).toBe(0);
    expect(emailBudgetBytes(NaN)).toBe(0);
    expect(emailBudgetBytes(1000)).toBe(0);
  });
});

describe('planEncodeTarget', () => {
  const hd = { durationSeconds: 30, width: 1280, height: 720, fps: 25, hasAudio: true };

  it('spends the budget minus overhead and audio on video', () => {
    const t = planEncodeTarget({ ...hd, targetBytes: 10_000_000 })!;
    const total = ((10_000_000 - containerOverheadBytes(30, 25, true)) * 8) / 30;
    expect(t.videoBitrate + t.audioBitrate).toBeCloseTo(total, -1);
    expect(t.audioBitrate).toBe(96_000);
    expect([t.width, t.height, t.fps]).toEqual([1280, 720, 25]);
  });

  it('scales down to a standard height when bits per pixel get too low', () => {
    const t = planEncodeTarget({ ...hd, targetBytes: 1_700_000 })!;
    expect(t.height).toBeLessThan(720);
    expect([540, 480, 360, 270]).toContain(t.height);
    expect(t.width % 2).toBe(0);
    expect(t.videoBitrate / (t.width * t.height * t.fps)).toBeGreaterThanOrEqual(MIN_BITS_PER_PIXEL * 0.99);
  });

  it('drops the frame rate and audio when the budget is very small', () => {
    const t = planEncodeTarget({ ...hd, targetBytes: 120_000 })!;
    expect(t.audioBitrate).toBe(0);
    expect(t.fps).toBe(15);
    expect(t.height).toBe(144);
  });

  it('returns null when nothing useful fits', () => {
    expect(planEncodeTarget({ ...hd, targetBytes: 100_000 })).toBeNull();
  });

  it('rounds sizes down to even numbers', () => {
    expect(even(641)).toBe(640);
    expect(even(1)).toBe(2);
  });
});
