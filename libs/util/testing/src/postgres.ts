// createTestDatabase() is implemented beside the migration runner in @vigint/db (its own tests need it
// without a dependency cycle); this is the harness's public entry for every other project.
export { createTestDatabase, type TestDatabase } from '@vigint/db/test-database';
