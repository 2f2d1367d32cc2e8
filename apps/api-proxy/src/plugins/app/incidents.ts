import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { CameraService, IncidentService, type CameraStore, type IncidentStore } from '@vigint/alerting';

declare module 'fastify' {
  interface FastifyInstance {
    /** Incidents on record (PostgreSQL), `(tenant, input)` methods: routes and console pages call these. */
    incidents: IncidentService;
    /** Cameras recorded from agent heartbeats. */
    cameras: CameraService;
  }
}

export interface IncidentsPluginOptions {
  /** Stores built by the caller (tests); default: the PostgreSQL repositories of the services plugin. */
  stores?: { incidents: IncidentStore; cameras: CameraStore };
}

async function incidents(app: FastifyInstance, opts: IncidentsPluginOptions): Promise<void> {
  const db = app.svc.repo.db;
  app.decorate('incidents', new IncidentService(opts.stores?.incidents ?? db.incidents));
  app.decorate(
    'cameras',
    new CameraService(opts.stores?.cameras ?? db.cameras, { maxCameras: app.config.MAX_CAMERAS }),
  );
}

export default fp(incidents, { name: 'incidents', dependencies: ['services'] });
