/** The gateway's paths, shared with the typed client (`:id` = path parameter). */
export const HTTP_ROUTES = {
  health: '/api/health',
  ready: '/api/ready',
  metrics: '/metrics',
  buffer: '/api/video/buffer',
  bufferBatch: '/api/video/buffer/batch',
  upload: '/api/video/upload',
  analyze: '/api/video/analyze',
  alert: '/api/video/alert',
  compress: '/api/video/compress',
  create: '/api/video/create',
  download: '/api/video/download/:id',
  multiSourceBuffer: '/api/video/multi-source/buffer',
  multiSourceAnalyze: '/api/video/multi-source/analyze',
  storageStatus: '/api/storage/status',
  storageCleanup: '/api/storage/cleanup',
  usage: '/api/usage',
  job: '/api/jobs/:id',
  privateVideoUpload: '/api/v1/videos/upload',
  videoPage: '/video/:id',
  videoRaw: '/video/:id/raw',
  incidents: '/api/incidents',
  incident: '/api/incidents/:id',
  incidentAcknowledge: '/api/incidents/:id/acknowledge',
  cameras: '/api/cameras',
  cameraHeartbeat: '/api/cameras/heartbeat',
  adminClients: '/admin/clients',
  adminRevoke: '/admin/clients/:id/revoke',
  adminReactivate: '/admin/clients/:id/reactivate',
} as const;

/** Request header asking for 202 + `{job_id, status_url}` instead of waiting for the job. */
export const PREFER_ASYNC = 'respond-async';
