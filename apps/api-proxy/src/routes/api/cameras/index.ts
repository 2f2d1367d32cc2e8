import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CameraHeartbeatBody, CameraList, ErrorReplies } from '@vigint/contracts';
import { tenantOf } from '../../../plugins/app/auth';

/** Cameras of the key's client as their agents report them: `GET /api/cameras`, `POST /api/cameras/heartbeat`. */
const cameras: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/cameras',
    { schema: { tags: ['cameras'], response: { 200: CameraList, ...ErrorReplies } } },
    async (req) => app.cameras.list(tenantOf(req).clientId),
  );

  app.post(
    '/api/cameras/heartbeat',
    { schema: { tags: ['cameras'], body: CameraHeartbeatBody, response: { 200: CameraList, ...ErrorReplies } } },
    async (req) => app.cameras.heartbeat(tenantOf(req).clientId, req.body),
  );
};

export default cameras;
