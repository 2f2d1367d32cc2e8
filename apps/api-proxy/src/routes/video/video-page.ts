import type { VideoMeta } from '@vigint/queue';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The small page a private link opens: the player, the analysis and the time (no script, strict CSP). */
export function renderVideoPage(input: {
  rawUrl: string;
  mime: string;
  meta: VideoMeta | null;
  createdAt: string;
  expiresAt: string;
}): string {
  const m = input.meta;
  const when = m?.occurredAt ?? input.createdAt;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>Vigint incident video</title>
<style>body{font-family:system-ui,sans-serif;max-width:860px;margin:1rem auto;padding:0 1rem;color:#222}
video{width:100%;background:#000;border-radius:6px}.risk{font-weight:bold}dt{font-weight:bold;margin-top:.5rem}</style></head>
<body><h1>Incident video</h1>
<video id="clip" controls playsinline preload="metadata"><source src="${esc(input.rawUrl)}" type="${esc(input.mime)}"></video>
<dl>
<dt>Time</dt><dd><time id="occurred" datetime="${esc(when)}">${esc(when.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</time></dd>
${m ? `<dt>Camera</dt><dd id="camera">${esc(m.cameraName)}</dd><dt>Risk</dt><dd class="risk" id="risk">${esc(m.riskLevel)} (${esc(m.incidentType)})</dd><dt>Analysis</dt><dd id="analysis">${esc(m.analysis)}</dd>` : ''}
<dt>Link valid until</dt><dd>${esc(input.expiresAt)}</dd>
</dl></body></html>`;
}
