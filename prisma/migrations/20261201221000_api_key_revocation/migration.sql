-- Why a key is inactive: 'key' = revoked on its own (a leak; permanent), 'client' = disabled with its
-- client (`POST /admin/clients/:id/revoke`; `/reactivate` turns only these back on). NULL on an inactive
-- key (imported inactive) counts as permanent.
ALTER TABLE "api_keys" ADD COLUMN "revoke_reason" TEXT;

-- Before this column, keys could only be disabled with their client.
UPDATE "api_keys" SET "revoke_reason" = 'client' WHERE "is_active" = false AND "revoked_at" IS NOT NULL;

-- The built-in client of SECRET_KEY has no address of its own (its alerts go to EMAIL_TO); it used to
-- take EMAIL_TO as its address, which bound SECRET_KEY to whichever client had that address.
ALTER TABLE "clients" ALTER COLUMN "email" DROP NOT NULL;
