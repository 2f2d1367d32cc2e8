-- Written by hand in the form `prisma migrate diff` produces (the schema engine cannot run on the build
-- machines). Per-client AI spend budgets and the daily AI usage report per model (issue 13).

-- CreateTable
CREATE TABLE "client_budgets" (
    "client_id" INTEGER NOT NULL,
    "daily_usd" DOUBLE PRECISION,
    "monthly_usd" DOUBLE PRECISION,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "client_budgets_pkey" PRIMARY KEY ("client_id")
);

-- CreateTable
CREATE TABLE "ai_usage_daily" (
    "client_id" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "model" TEXT NOT NULL,
    "stage" TEXT NOT NULL,
    "calls" INTEGER NOT NULL DEFAULT 0,
    "failed_calls" INTEGER NOT NULL DEFAULT 0,
    "prompt_tokens" BIGINT NOT NULL DEFAULT 0,
    "completion_tokens" BIGINT NOT NULL DEFAULT 0,
    "thinking_tokens" BIGINT NOT NULL DEFAULT 0,
    "cost_micro_usd" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "ai_usage_daily_pkey" PRIMARY KEY ("client_id","day","model","stage")
);

-- AddForeignKey
ALTER TABLE "client_budgets" ADD CONSTRAINT "client_budgets_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ai_usage_daily" ADD CONSTRAINT "ai_usage_daily_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;
