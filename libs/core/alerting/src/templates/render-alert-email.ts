import { AlertLanguage } from '@vigint/contracts';
import {
  AlertTemplate,
  type AlertMessages,
  type AlertTemplateData,
  type CameraNoticeData,
  type IncidentAlertData,
  type RenderedMail,
  type TestMailData,
} from './alert-template';
import { html } from './html';
import { EN } from './messages.en';
import { FR } from './messages.fr';

const MESSAGES: Record<AlertLanguage, AlertMessages> = { [AlertLanguage.En]: EN, [AlertLanguage.Fr]: FR };

function formatTime(m: AlertMessages, when: Date, timeZone = 'UTC'): string {
  // dateStyle cannot be combined with timeZoneName, hence the explicit parts.
  return new Intl.DateTimeFormat(m.locale, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(when);
}

// Header lines of e-mail clients: no CR/LF from camera names or AI text in a subject.
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

function incident(m: AlertMessages, d: IncidentAlertData): RenderedMail {
  const type = m.incidentTypes[d.incidentType];
  const risk = m.riskLevels[d.riskLevel];
  const time = formatTime(m, d.occurredAt, d.timeZone);
  const clipLine = d.clipAttached
    ? m.clipAttached
    : d.clipFailed
      ? m.clipFailed
      : d.clipTooLarge
        ? m.clipTooLarge
        : d.videoLink
          ? ''
          : m.noClip;
  const expires = d.videoLink ? formatTime(m, d.videoLink.expiresAt, d.timeZone) : '';
  const rows: [string, string][] = [
    [m.labels.camera, d.cameraName],
    [m.labels.time, time],
    [m.labels.type, type],
    [m.labels.risk, risk],
  ];
  const detailed = d.detailedAnalysis && d.detailedAnalysis !== d.analysis ? d.detailedAnalysis : undefined;

  const body = html`<!doctype html>
    <html lang="${m.language}">
      <head>
        <meta charset="utf-8" />
        <title>${m.heading(type)}</title>
      </head>
      <body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:640px;margin:0 auto;padding:16px">
        <h1 style="font-size:20px;color:#b00020">${m.heading(type)}</h1>
        <p>${m.greeting(d.clientName)}</p>
        <p>${m.intro}</p>
        <table style="border-collapse:collapse;margin:12px 0">
          ${rows.map(
            ([k, v]) =>
              html`<tr>
                <th style="text-align:left;padding:4px 12px 4px 0">${k}</th>
                <td style="padding:4px 0">${v}</td>
              </tr> `,
          )}
        </table>
        ${d.thumbnailCid ? html`<p><img src="cid:${d.thumbnailCid}" alt="${m.heading(type)}" style="max-width:100%;border:1px solid #ccc" /></p>` : ''}
        <h2 style="font-size:16px">${m.labels.analysis}</h2>
        <p style="white-space:pre-wrap">${d.analysis}</p>
        ${
          detailed
            ? html`<h2 style="font-size:16px">${m.labels.detailed}</h2>
                <p style="white-space:pre-wrap">${detailed}</p>`
            : ''
        }
        ${d.confirmUnanswered ? html`<p><em>${m.confirmUnanswered}</em></p>` : ''}
        ${clipLine ? html`<p>${clipLine}</p>` : ''}
        ${
          d.videoLink
            ? html`<p>${m.linkIntro(expires)}</p>
                <p>
                  <a
                    href="${d.videoLink.url}"
                    style="display:inline-block;padding:10px 16px;background:#1a73e8;color:#fff;text-decoration:none;border-radius:4px"
                    >${m.linkButton}</a
                  >
                </p>
                <p style="font-size:12px;color:#666">${d.videoLink.url}</p>`
            : ''
        }
        ${d.actionLinks ? actionBlock(m, d.actionLinks) : ''}
        <hr />
        <p style="font-size:12px;color:#666">${m.footer}</p>
      </body>
    </html>`;

  const text = [
    m.heading(type),
    '',
    m.greeting(d.clientName),
    m.intro,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    '',
    `${m.labels.analysis}:`,
    d.analysis,
    ...(detailed ? ['', `${m.labels.detailed}:`, detailed] : []),
    ...(d.confirmUnanswered ? ['', m.confirmUnanswered] : []),
    ...(clipLine ? ['', clipLine] : []),
    ...(d.videoLink ? ['', m.linkIntro(expires), d.videoLink.url] : []),
    ...(d.actionLinks
      ? ['', m.actions.intro, ...actionRows(m, d.actionLinks).map(([label, url]) => `${label}: ${url}`)]
      : []),
    '',
    '--',
    m.footer,
    '',
  ].join('\n');

  return { subject: oneLine(m.subject(risk, type, d.cameraName)), html: body.value, text };
}

type ActionLinks = NonNullable<IncidentAlertData['actionLinks']>;

function actionRows(m: AlertMessages, l: ActionLinks): [string, string][] {
  return [
    [m.actions.open, l.open],
    [m.actions.acknowledge, l.acknowledge],
    [m.actions.snooze15, l.snooze15],
    [m.actions.snooze60, l.snooze60],
  ];
}

/** Four plain links, not a form: mail clients strip forms, and each link asks to confirm on its page. */
function actionBlock(m: AlertMessages, l: ActionLinks) {
  return html`<p>${m.actions.intro}</p>
    <p>
      ${actionRows(m, l).map(
        ([label, url]) =>
          html`<a
            href="${url}"
            style="display:inline-block;margin:0 8px 8px 0;padding:8px 12px;border:1px solid #1a73e8;color:#1a73e8;text-decoration:none;border-radius:4px"
            >${label}</a
          > `,
      )}
    </p>`;
}

function test(m: AlertMessages, d: TestMailData): RenderedMail {
  const when = formatTime(m, d.sentAt, d.timeZone);
  const body = html`<!doctype html>
    <html lang="${m.language}">
      <head>
        <meta charset="utf-8" />
      </head>
      <body>
        <p>${m.greeting(d.clientName)}</p>
        <p>${m.testBody(when)}</p>
      </body>
    </html>`;
  return { subject: m.testSubject, html: body.value, text: `${m.greeting(d.clientName)}\n\n${m.testBody(when)}\n` };
}

function cameraNotice(m: AlertMessages, offline: boolean, d: CameraNoticeData): RenderedMail {
  const duration = m.duration(Math.max(0, Math.round(d.seconds)));
  const text = offline
    ? m.offlineBody(d.cameraName, duration, formatTime(m, d.outageStartedAt, d.timeZone))
    : m.onlineBody(d.cameraName, duration, formatTime(m, d.at, d.timeZone));
  const subject = offline ? m.offlineSubject(d.cameraName) : m.onlineSubject(d.cameraName);
  const body = html`<!doctype html>
    <html lang="${m.language}">
      <head>
        <meta charset="utf-8" />
        <title>${subject}</title>
      </head>
      <body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:640px;margin:0 auto;padding:16px">
        <p>${m.greeting(d.clientName)}</p>
        <p>${text}</p>
        <hr />
        <p style="font-size:12px;color:#666">${m.footer}</p>
      </body>
    </html>`;
  return {
    subject: oneLine(subject),
    html: body.value,
    text: `${m.greeting(d.clientName)}\n\n${text}\n\n--\n${m.footer}\n`,
  };
}

/** Subject, HTML and text of an e-mail, in the client's language (English when unknown). */
export function renderAlertEmail(input: AlertTemplateData, language: AlertLanguage): RenderedMail {
  const m = MESSAGES[language] ?? EN;
  switch (input.template) {
    case AlertTemplate.Incident:
      return incident(m, input.data);
    case AlertTemplate.Test:
      return test(m, input.data);
    case AlertTemplate.CameraOffline:
    case AlertTemplate.CameraOnline:
      return cameraNotice(m, input.template === AlertTemplate.CameraOffline, input.data);
  }
}
