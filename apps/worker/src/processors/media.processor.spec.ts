import { describe, expect, it } from 'vitest';
import { artifactIdForJob } from './media.processor';

describe('artifactIdForJob', () => {
  it('is a stable, valid UUID per job id, so a rerun after a crash writes the same artifact', () => {
    const a = artifactIdForJob('video-123e4567');
    expect(a).toBe(artifactIdForJob('video-123e4567'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(artifactIdForJob('video-other')).not.toBe(a);
  });
});
