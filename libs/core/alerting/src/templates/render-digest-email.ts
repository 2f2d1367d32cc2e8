import { AlertLanguage, type IncidentType, type RiskLevel } from '@vigint/contracts';
import { noticeMessages } from '../notify/notice-messages';
import type { AlertMessages, RenderedMail } from './alert-template';
import { html } from './html';
import { EN } from './messages.en';
import { FR } from './messages.fr';

export interface DigestIncident {
  cameraName: string;
  riskLevel: RiskLevel;
  incidentType: IncidentType;
  summary: string;
  startedAt: Date;
  /** `cid:` of its inline thumbnail, when the incident has one. */
  thumbnailCid?: string;
  /** Where to open it (the console's incident page). */
  url?: string;
}

export interface DigestEmailData {
  clientName?: string;
  /** The local day the digest is for, YYYY-MM-DD. */
  day: string;
  timeZone: string;
  /** Incidents of the period: the count, per camera (most first), and the top few in full. */
  total: number;
  perCamera: { cameraName: string; count: number }[];
  top: DigestIncident[];
  /** Cameras not live when the digest was made (offline or reconnecting), with their last frame. */
  offline: { cameraName: string; state: string; lastFrameAt: Date | null }[];
  /** AI spend over the period in USD; null when unknown. */
  aiSpendUsd: number | null;
  consoleUrl?: string;
}

const ALERT_WORDS: Record<AlertLanguage, AlertMessages> = { [AlertLanguage.En]: EN, [AlertLanguage.Fr]: FR };

/** The daily digest e-mail: subject, HTML and text in the client's language and zone. */
export function renderDigestEmail(d: DigestEmailData, language: AlertLanguage): RenderedMail {
  const m = noticeMessages(language);
  const a = ALERT_WORDS[language] ?? EN;
  const [y, mo, da] = d.day.split('-').map(Number);
  // Noon UTC of that date shows the same calendar day in every zone.
  const dayLabel = new Intl.DateTimeFormat(m.locale, {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(Date.UTC(y!, mo! - 1, da!, 12)));
  const time = (t: Date) =>
    new Intl.DateTimeFormat(m.locale, {
      hour: '2-digit',
      minute: '2-digit',
      day: 'numeric',
      month: 'short',
      timeZone: d.timeZone,
    }).format(t);
  const money = new Intl.NumberFormat(m.locale, { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });
  const label = (i: DigestIncident) =>
    `${a.incidentTypes[i.incidentType] ?? i.incidentType} · ${a.riskLevels[i.riskLevel] ?? i.riskLevel}`;
  const intro = d.total === 0 ? m.digestNone : m.digestIntro(d.total);
  const spend = d.aiSpendUsd === null ? undefined : m.digestSpend(money.format(d.aiSpendUsd));
  const subject = m.digestSubject(dayLabel).replace(/[\r\n]+/g, ' ');

  const body = html`<!doctype html>
    <html lang="${language}">
      <head>
        <meta charset="utf-8" />
        <title>${subject}</title>
      </head>
      <body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:640px;margin:0 auto;padding:16px">
        <h1 style="font-size:20px">${subject}</h1>
        <p>${a.greeting(d.clientName)}</p>
        <p>${intro}</p>
        ${
          d.perCamera.length
            ? html`<h2 style="font-size:16px">${m.digestPerCamera}</h2>
                <table style="border-collapse:collapse">
                  ${d.perCamera.map(
                    (c) =>
                      html`<tr>
                        <th style="text-align:left;padding:4px 12px 4px 0">${c.cameraName}</th>
                        <td style="padding:4px 0">${c.count}</td>
                      </tr>`,
                  )}
                </table>`
            : ''
        }
        ${
          d.top.length
            ? html`<h2 style="font-size:16px">${m.digestTop}</h2>
                ${d.top.map(
                  (i) =>
                    html`<div style="margin:0 0 16px">
                      ${
                        i.thumbnailCid
                          ? html`<img
                              src="cid:${i.thumbnailCid}"
                              alt="${i.cameraName}"
                              width="240"
                              style="max-width:100%;border:1px solid #ccc;display:block"
                            />`
                          : ''
                      }
                      <p style="margin:4px 0"><strong>${i.cameraName}</strong> — ${time(i.startedAt)} — ${label(i)}</p>
                      <p style="margin:4px 0">${i.summary}</p>
                      ${i.url ? html`<p style="margin:4px 0"><a href="${i.url}">${m.labels.open}</a></p>` : ''}
                    </div>`,
                )}`
            : ''
        }
        ${
          d.offline.length
            ? html`<h2 style="font-size:16px">${m.digestOffline}</h2>
                <ul>
                  ${d.offline.map((c) => html`<li>${c.cameraName} (${m.cameraStates[c.state] ?? c.state}${c.lastFrameAt ? `, ${time(c.lastFrameAt)}` : ''})</li>`)}
                </ul>`
            : ''
        }
        ${spend ? html`<p>${spend}</p>` : ''}
        ${d.consoleUrl ? html`<p><a href="${d.consoleUrl}">${m.labels.open}</a></p>` : ''}
        <hr />
        <p style="font-size:12px;color:#666">${a.footer}</p>
      </body>
    </html>`;

  const text = [
    subject,
    '',
    a.greeting(d.clientName),
    intro,
    ...(d.perCamera.length
      ? ['', `${m.digestPerCamera}:`, ...d.perCamera.map((c) => `- ${c.cameraName}: ${c.count}`)]
      : []),
    ...(d.top.length
      ? [
          '',
          `${m.digestTop}:`,
          ...d.top.flatMap((i) => [
            `- ${i.cameraName}, ${time(i.startedAt)}, ${label(i)}: ${i.summary}`,
            ...(i.url ? [`  ${i.url}`] : []),
          ]),
        ]
      : []),
    ...(d.offline.length
      ? [
          '',
          `${m.digestOffline}:`,
          ...d.offline.map(
            (c) =>
              `- ${c.cameraName} (${m.cameraStates[c.state] ?? c.state}${c.lastFrameAt ? `, ${time(c.lastFrameAt)}` : ''})`,
          ),
        ]
      : []),
    ...(spend ? ['', spend] : []),
    ...(d.consoleUrl ? ['', d.consoleUrl] : []),
    '',
    '--',
    a.footer,
    '',
  ].join('\n');
  return { subject, html: body.value, text };
}
