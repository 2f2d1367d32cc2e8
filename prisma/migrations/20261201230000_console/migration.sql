-- Written by hand in the form `prisma migrate diff` produces (the schema engine cannot run on the build
-- machines). The console's per-client settings and the instant-notice delivery claims (docs/console.md).

-- CreateTable
CREATE TABLE "client_settings" (
    "client_id" INTEGER NOT NULL,
    "time_zone" TEXT NOT NULL DEFAULT 'UTC',
    "channels" JSONB NOT NULL DEFAULT '{}',
    "digest_enabled" BOOLEAN NOT NULL DEFAULT false,
    "digest_hour" INTEGER NOT NULL DEFAULT 8,
    "last_digest_day" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "client_settings_pkey" PRIMARY KEY ("client_id")
);

-- CreateTable
CREATE TABLE "notice_deliveries" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "client_id" INTEGER NOT NULL,
    "incident_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'sending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "http_status" INTEGER,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "notice_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "notice_deliveries_idempotency_key_key" ON "notice_deliveries"("idempotency_key");

-- CreateIndex
CREATE INDEX "notice_deliveries_client_id_incident_id_idx" ON "notice_deliveries"("client_id", "incident_id");

-- CreateIndex
CREATE INDEX "notice_deliveries_expires_at_idx" ON "notice_deliveries"("expires_at");

-- AddForeignKey
ALTER TABLE "client_settings" ADD CONSTRAINT "client_settings_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notice_deliveries" ADD CONSTRAINT "notice_deliveries_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;
