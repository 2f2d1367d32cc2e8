import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';
import { IncidentAction, SNOOZE_MINUTES, verifyActionLink, type ActionClaim } from '@vigint/alerting';
import { sendArtifact } from '../../../services/artifact-response';
import { linkSecret } from '../../../services/video-links';
import { storesOf } from '../console-data';
import { formatTime, messagesFor, renderPage } from '../console-view';
import { incidentMedia, incidentView } from '../incident-view';

const TokenParams = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', minLength: 10, maxLength: 500 } },
} as const;

/**
 * Act from the alert without signing in: `/console/act/<token>` (signed, expiring, one action on one
 * incident). GET never changes anything (mail scanners fetch links): it shows the incident, or a
 * confirmation form; POST acts (the form, or ntfy's `http` action button).
 */
async function act(app: FastifyInstance): Promise<void> {
  const secret = linkSecret(app);

  async function resolve(req: FastifyRequest): Promise<{ claim: ActionClaim; token: string }> {
    const { token } = req.params as { token: string };
    const check = verifyActionLink(secret, token);
    if (!check.valid) {
      throw new AppError(ErrorCode.NotFound, check.reason === 'expired' ? 'expired' : 'invalid', {
        details: { reason: check.reason },
      });
    }
    return { claim: check.claim, token };
  }

  async function incidentOf(claim: ActionClaim) {
    const i = await storesOf(app).incidents.get(claim.clientId, claim.incidentId);
    if (!i) throw new AppError(ErrorCode.NotFound, 'incident not found');
    return i;
  }

  async function timeZone(clientId: string) {
    return (await app.svc.repo.db.consoleSettings.get(clientId)).timeZone;
  }

  const linkError = async (req: FastifyRequest, reply: Parameters<typeof renderPage>[2], err: unknown) => {
    const t = messagesFor(req);
    const expired =
      (err as AppError).details && ((err as AppError).details as { reason?: string }).reason === 'expired';
    return renderPage(
      app,
      req,
      reply,
      'act',
      { title: t.act.title, heading: t.act.title, message: expired ? t.act.expired : t.act.invalid },
      expired ? 410 : 404,
    );
  };

  app.get('/console/act/:token', { schema: { params: TokenParams } }, async (req, reply) => {
    let claim: ActionClaim;
    let token: string;
    try {
      ({ claim, token } = await resolve(req));
    } catch (err) {
      return linkError(req, reply, err);
    }
    const t = messagesFor(req);
    const incident = await incidentOf(claim);
    const tz = await timeZone(claim.clientId);
    await app.svc.repo
      .audit({
        clientId: claim.clientId,
        apiKeyId: null,
        action: `console.link.${claim.action}.view`,
        target: incident.id,
        ip: req.ip,
      })
      .catch(() => undefined);
    if (claim.action === IncidentAction.Open) {
      const v = incidentView(t, incident, tz, `/console/act/${token}`);
      return renderPage(app, req, reply, 'incident', {
        title: t.incident.title(v.typeLabel, v.cameraName),
        incident: v,
      });
    }
    const minutes = SNOOZE_MINUTES[claim.action];
    const question = minutes ? t.act.confirmSnooze(minutes, incident.cameraName) : t.act.confirmAck;
    const done =
      claim.action === IncidentAction.Acknowledge && incident.acknowledgedAt
        ? t.incident.acknowledgedAt(formatTime(t, incident.acknowledgedAt, tz))
        : undefined;
    return renderPage(app, req, reply, 'act', {
      title: t.act.title,
      heading: t.act.title,
      message: done,
      confirm: done ? undefined : { action: `/console/act/${token}`, question },
    });
  });

  app.post('/console/act/:token', { schema: { params: TokenParams } }, async (req, reply) => {
    let claim: ActionClaim;
    try {
      ({ claim } = await resolve(req));
    } catch (err) {
      return linkError(req, reply, err);
    }
    const t = messagesFor(req);
    if (claim.action === IncidentAction.Open) return reply.redirect(req.url, 303);
    const incident = await incidentOf(claim);
    const stores = storesOf(app);
    const tz = await timeZone(claim.clientId);
    let message: string;
    const minutes = SNOOZE_MINUTES[claim.action];
    if (minutes) {
      const cameraId = claim.cameraId || incident.cameraId;
      if (!cameraId) throw new AppError(ErrorCode.NotFound, 'camera not found');
      const until = new Date(Date.now() + minutes * 60_000);
      await stores.cameras.snooze(claim.clientId, cameraId, until);
      message = t.act.snoozeDone(formatTime(t, until, tz));
    } else {
      await stores.incidents.acknowledge(claim.clientId, incident.id, new Date());
      message = t.act.ackDone;
    }
    await app.svc.repo
      .audit({
        clientId: claim.clientId,
        apiKeyId: null,
        action: `console.link.${claim.action}`,
        target: incident.id,
        ip: req.ip,
      })
      .catch(() => undefined);
    return renderPage(app, req, reply, 'act', { title: t.act.done, heading: t.act.done, message });
  });

  for (const which of ['clip', 'thumbnail'] as const) {
    app.get(`/console/act/:token/${which}`, { schema: { params: TokenParams } }, async (req, reply) => {
      const { claim } = await resolve(req);
      if (claim.action !== IncidentAction.Open) throw new AppError(ErrorCode.NotFound, 'not found');
      const a = await incidentMedia(app, claim.clientId, claim.incidentId, which);
      return sendArtifact(app, req, reply, a, 'inline');
    });
  }
}

export default act;
