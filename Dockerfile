# syntax=docker/dockerfile:1
# One Dockerfile, one image per process. Build a target with --target:
#   docker build --target api-proxy  -t vigint-api-proxy .   gateway (Debian ffmpeg: ffprobe on uploads)
#   docker build --target worker     -t vigint-worker .      BullMQ worker (Debian ffmpeg)
#   docker build --target edge-agent -t vigint-edge-agent .  camera agent (Debian ffmpeg)
#   docker build --target migrate    -t vigint-migrate .     applies prisma/migrations, then exits
# Without --target you get `server` (gateway + worker + migrations + ffmpeg in one image): the
# Render blueprint builds that one and picks the process with dockerCommand, because a blueprint
# cannot name a build target.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: every dependency (dev included), bundles, then drop the dev dependencies again.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# npm workspaces need every workspace folder at install time, so the whole (.dockerignore'd)
# source comes in one COPY; the Docker layer cache therefore helps only when nothing changed.
COPY . .
# postinstall generates the Prisma client into libs/adapters/db/src/generated (bundled below).
RUN npm ci --no-audit --no-fund \
 && node scripts/build-app.mjs api-proxy worker edge-agent db-migrate \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/ffmpeg-static \
 && mkdir -p apps/api-proxy/node_modules apps/worker/node_modules apps/edge-agent/node_modules

# ---------------------------------------------------------------------------------------------
# Runtime bases: slim Node, production mode, a non-root user (uid 1000 `node` from the base image).
FROM ${NODE_IMAGE} AS base
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    STORAGE_DIR=/app/data/artifacts \
    EMAIL_OUTBOX_DIR=/app/data/outbox
WORKDIR /app
# The only place the non-root user may write (disk artifact store, .eml outbox); mount a volume here
# when STORAGE_BACKEND=disk.
RUN mkdir -p /app/data && chown node:node /app/data

FROM base AS base-ffmpeg
# Debian's ffmpeg (5.1 on bookworm): the worker builds clips, the agent captures and cuts, the gateway
# probes uploads.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
ENV FFMPEG_PATH=/usr/bin/ffmpeg

# ---------------------------------------------------------------------------------------------
FROM base AS migrate
# Our SQL runner (records _prisma_migrations exactly as Prisma does); no schema engine needed.
ENV VIGINT_MIGRATE_WITH=sql
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/dist ./dist
USER node
CMD ["node", "dist/db-migrate.mjs"]

# ---------------------------------------------------------------------------------------------
FROM base-ffmpeg AS api-proxy
# ffprobe checks every uploaded video before anything is queued (422 INVALID_VIDEO), so the gateway
# needs ffmpeg too; without it the video routes answered 503 in this image.
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/apps/api-proxy/package.json ./apps/api-proxy/package.json
COPY --from=build --chown=node:node /app/apps/api-proxy/node_modules ./apps/api-proxy/node_modules
COPY --from=build --chown=node:node /app/apps/api-proxy/dist ./apps/api-proxy/dist
# The gateway image can migrate too (Render runs preDeployCommand in the web service's image).
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/dist ./dist
ENV PORT=5000 HOST=0.0.0.0 VIGINT_MIGRATE_WITH=sql
EXPOSE 5000
USER node
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||5000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "apps/api-proxy/dist/main.js"]

# ---------------------------------------------------------------------------------------------
FROM base-ffmpeg AS worker
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/apps/worker/package.json ./apps/worker/package.json
COPY --from=build --chown=node:node /app/apps/worker/node_modules ./apps/worker/node_modules
COPY --from=build --chown=node:node /app/apps/worker/dist ./apps/worker/dist
USER node
# No HEALTHCHECK: the worker serves no HTTP and ioredis reconnects by itself; if the process
# exits, the orchestrator restarts it (compose: restart: unless-stopped). Watch queues in /metrics.
HEALTHCHECK NONE
CMD ["node", "apps/worker/dist/main.js"]

# ---------------------------------------------------------------------------------------------
FROM base-ffmpeg AS edge-agent
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/apps/edge-agent/package.json ./apps/edge-agent/package.json
COPY --from=build --chown=node:node /app/apps/edge-agent/node_modules ./apps/edge-agent/node_modules
COPY --from=build --chown=node:node /app/apps/edge-agent/dist ./apps/edge-agent/dist
USER node
HEALTHCHECK NONE
ENTRYPOINT ["node", "apps/edge-agent/dist/main.js"]
CMD ["--help"]

# ---------------------------------------------------------------------------------------------
# Default target (keep it last): gateway, worker and migrations in one image, for platforms that
# build a Dockerfile without --target (Render). Choose the process with the start command. Its
# HEALTHCHECK probes the gateway; when it runs the worker, use --no-healthcheck (Render ignores it).
FROM base-ffmpeg AS server
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/apps/api-proxy/package.json ./apps/api-proxy/package.json
COPY --from=build --chown=node:node /app/apps/api-proxy/node_modules ./apps/api-proxy/node_modules
COPY --from=build --chown=node:node /app/apps/api-proxy/dist ./apps/api-proxy/dist
COPY --from=build --chown=node:node /app/apps/worker/package.json ./apps/worker/package.json
COPY --from=build --chown=node:node /app/apps/worker/node_modules ./apps/worker/node_modules
COPY --from=build --chown=node:node /app/apps/worker/dist ./apps/worker/dist
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/dist ./dist
ENV PORT=5000 HOST=0.0.0.0 VIGINT_MIGRATE_WITH=sql
EXPOSE 5000
USER node
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||5000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "apps/api-proxy/dist/main.js"]
