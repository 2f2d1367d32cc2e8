import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorReplies, ErrorCode, IdParams, JobState, JobStatusReply } from '@vigint/contracts';
import { tenantOf } from '../../../plugins/app/auth';
import { jobReply } from '../../../services/replies';

/** `GET /api/jobs/:id`: state and result of a job of the key's own client (others' ids → 404). */
const jobs: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        params: IdParams,
        response: { 200: JobStatusReply, ...ErrorReplies },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      const view = await app.svc.queue.getJob(req.params.id);
      if (!view || view.clientId !== t.clientId)
        throw new AppError(ErrorCode.NotFound, 'job not found', { field: 'id' });
      return {
        job_id: view.id,
        name: view.name,
        state: view.state,
        ...(view.state === JobState.Completed
          ? { result: await jobReply(app, req, t, view.name, view.result, view.id) }
          : {}),
        ...(view.error ? { error: view.error } : {}),
      };
    },
  );
};

export default jobs;
