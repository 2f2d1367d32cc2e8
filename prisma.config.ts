// Prisma 7 reads the datasource URL from here, not from schema.prisma.
// DATABASE_URL may be unset for `prisma generate` (it never connects); `migrate deploy` then fails naming it.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
