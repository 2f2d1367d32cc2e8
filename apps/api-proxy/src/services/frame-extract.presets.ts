/**
 * ffmpeg arguments (data) that sample an uploaded video into JPEG stills for analysis: `fps` frames a
 * second, at most `max` of them, scaled down to ≤ 1280 px wide (the AI gets ≤ 768 px anyway).
 */
export function sampleFramesArgs(input: string, outPattern: string, fps: number, max: number): string[] {
  return [
    '-i',
    input,
    '-vf',
    `fps=${fps.toFixed(4)},scale='min(1280,iw)':-2`,
    '-frames:v',
    String(max),
    '-q:v',
    '4',
    '-f',
    'image2',
    '-y',
    outPattern,
  ];
}
