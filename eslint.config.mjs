// Lint: typescript-eslint's recommended rules, a type-aware check for forgotten promises, and a fence around
// workflows/ so that non-deterministic code fails here, before any test or replay runs.
import { builtinModules } from 'node:module';
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const determinism = 'Workflow code must be deterministic and free of I/O: do it in an activity';

export default defineConfig(
  { ignores: ['node_modules/', 'data/', '.tools/', 'dist/', 'bench/.build/', 'db/migrations/', 'coverage/', 'test-artifacts/'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      // Type-only imports are erased before bundling, so the workflow may share types with activities and db.
      '@typescript-eslint/no-restricted-imports': ['error', {
        // Exact names (a gitignore-style pattern such as `util` would also catch a local ./util).
        paths: [...builtinModules, 'pg', 'drizzle-orm', 'nodemailer', 'express', '@temporalio/client', '@temporalio/activity', '@temporalio/worker']
          .map((name) => ({ name, message: determinism, allowTypeImports: true })),
        patterns: [
          { group: ['node:*', 'drizzle-orm/*', 'pg/*', 'nodemailer/*'], message: determinism, allowTypeImports: true },
          {
            regex: '^(\\.\\./)+(activities|db|api|platform|audit|tooling|config|worker)(/.*)?$',
            message: `${determinism}; workflows call activities through proxyActivities.`,
            allowTypeImports: true,
          },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use a loop with sleep() from @temporalio/workflow.' },
        { name: 'setImmediate', message: 'Use sleep() or condition() from @temporalio/workflow.' },
        { name: 'process', message: `${determinism}; pass values in as workflow input.` },
      ],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Use uuid4() from @temporalio/workflow, or pass randomness in as input.' },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked] },
);
