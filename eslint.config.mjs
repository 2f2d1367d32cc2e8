import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

const boundaries = (extra) => [
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:core', 'type:adapter', 'type:contracts', 'type:util', ...extra],
  },
  {
    sourceTag: 'type:core',
    onlyDependOnLibsWithTags: ['type:core', 'type:adapter', 'type:contracts', 'type:util', ...extra],
  },
  { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:adapter', 'type:contracts', 'type:util', ...extra] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', ...extra] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:testing', 'type:adapter', 'type:contracts', 'type:util'],
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', '**/.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Dependencies flow one way: app → core → adapter → contracts/util; util never reaches an adapter, and the
      // test harness (type:testing) is for tests only (the block below allows it there).
      '@nx/enforce-module-boundaries': ['error', { allow: [], depConstraints: boundaries([]) }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.testing.ts', '**/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { allow: [], depConstraints: boundaries(['type:testing']) }],
    },
  },
);
