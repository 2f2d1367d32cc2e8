import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AlertBody, AlertReply, ErrorReplies, JobAccepted } from '@vigint/contracts';
import { tenantOf } from '../../../../plugins/app/auth';
import { AlertIntake, readAlertRequest } from '../../../../services/alert-intake';
import { sendAccepted } from '../../../../services/job-runner';
import { jsonBody } from '../../../../services/json-or-multipart';
import { publicBase } from '../../../../services/video-links';

/**
 * `POST /api/video/alert`: e-mail to the client's address with the clip (`video_data`, else the last upload,
 * `use_server_buffer`) and a private link. 200 when delivered (or suppressed as a duplicate); 207 with
 * `success: false` and `status: "queued"` when not out within the wait bound (the job keeps retrying).
 */
const alert: FastifyPluginAsyncTypebox = async (app) => {
  const alerts = new AlertIntake(app);
  app.post(
    '/api/video/alert',
    {
      schema: {
        tags: ['video'],
        body: jsonBody(AlertBody),
        response: { 200: AlertReply, 202: JobAccepted, 207: AlertReply, ...ErrorReplies },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const input = await readAlertRequest(app, req, t);
      const out = await alerts.send(t, input, { headers: req.headers, log: req.log, linkBase: publicBase(app, req) });
      if (out.kind === 'accepted') return sendAccepted(reply, out.jobId, out.status);
      return reply.code(out.code).send(out.body);
    },
  );
};

export default alert;
