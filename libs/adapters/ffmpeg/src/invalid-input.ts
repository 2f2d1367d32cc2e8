/** ffmpeg messages that mean the input is not (or no longer) a valid video, not that we failed. */
const INVALID_INPUT_PATTERNS = [
  /Invalid data found when processing input/i,
  /moov atom not found/i,
  /could not find codec parameters/i,
  /does not contain any stream/i,
  /Output file #0 does not contain any stream/i,
  /no such file or directory/i,
  /invalid NAL unit size/i,
  /error while decoding/i,
  /partial file/i,
  /Error splitting the input into NAL units/i,
  /EBML header parsing failed/i,
  /Failed to open segment/i,
  /Impossible to open/i,
  // An allow-list refused the input (a playlist or manifest posing as a video): the input is bad, not us.
  /not on whitelist/i,
];

export function looksLikeInvalidInput(stderr: string): boolean {
  return INVALID_INPUT_PATTERNS.some((re) => re.test(stderr));
}
