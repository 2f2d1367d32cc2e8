-- Incidents and cameras on record (docs/architecture.md, "Where data lives").

-- Cameras are recorded from agent heartbeats and keyed by the agent's camera id: two cameras may share a name.
DROP INDEX "cameras_client_id_name_key";
ALTER TABLE "cameras"
    ADD COLUMN "camera_key" TEXT,
    ADD COLUMN "state" TEXT NOT NULL DEFAULT 'connecting',
    ADD COLUMN "last_frame_at" TIMESTAMPTZ(3),
    ADD COLUMN "last_heartbeat_at" TIMESTAMPTZ(3),
    ADD COLUMN "snoozed_until" TIMESTAMPTZ(3),
    ADD COLUMN "alert_threshold" TEXT NOT NULL DEFAULT 'MEDIUM',
    ADD COLUMN "expires_at" TIMESTAMPTZ(3) NOT NULL DEFAULT (CURRENT_TIMESTAMP + INTERVAL '72 hours');
UPDATE "cameras" SET "camera_key" = "name" WHERE "camera_key" IS NULL;
ALTER TABLE "cameras" ALTER COLUMN "camera_key" SET NOT NULL;
CREATE UNIQUE INDEX "cameras_client_id_camera_key_key" ON "cameras"("client_id", "camera_key");
CREATE INDEX "cameras_expires_at_idx" ON "cameras"("expires_at");

-- Every incident: both verdicts, artifacts, the delivery log; one row per agent idempotency key.
ALTER TABLE "incidents"
    ADD COLUMN "idempotency_key" TEXT,
    ADD COLUMN "camera_key" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "camera_name" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "detected_at" TIMESTAMPTZ(3),
    ADD COLUMN "screen" JSONB,
    ADD COLUMN "confirm" JSONB,
    ADD COLUMN "clip_artifact_id" TEXT,
    ADD COLUMN "thumbnail_artifact_id" TEXT,
    ADD COLUMN "deliveries" JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN "acknowledged_at" TIMESTAMPTZ(3),
    ADD COLUMN "status" TEXT NOT NULL DEFAULT 'open',
    ADD COLUMN "expires_at" TIMESTAMPTZ(3) NOT NULL DEFAULT (CURRENT_TIMESTAMP + INTERVAL '72 hours'),
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
UPDATE "incidents" SET "idempotency_key" = "id"::text, "detected_at" = "started_at" WHERE "idempotency_key" IS NULL;
ALTER TABLE "incidents" ALTER COLUMN "idempotency_key" SET NOT NULL;
ALTER TABLE "incidents" ALTER COLUMN "detected_at" SET NOT NULL;
CREATE UNIQUE INDEX "incidents_client_id_idempotency_key_key" ON "incidents"("client_id", "idempotency_key");
CREATE INDEX "incidents_client_id_camera_key_started_at_idx" ON "incidents"("client_id", "camera_key", "started_at");
CREATE INDEX "incidents_expires_at_idx" ON "incidents"("expires_at");

-- The duplicate-scene check is per camera id, not per camera name.
ALTER TABLE "alerts" ADD COLUMN "camera_id" TEXT;
CREATE INDEX "alerts_client_id_camera_id_occurred_at_idx" ON "alerts"("client_id", "camera_id", "occurred_at");
