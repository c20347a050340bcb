import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.dsr-data/', 'coverage/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The classic build is about eight times the functional one in every bundle, and its schemas
    // cost more to build at a cold start; functions/domain/zod.ts also sets zod's messages.
    files: ['functions/**/*.ts'],
    ignores: ['functions/domain/zod.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'zod', message: 'Import functions/domain/zod.ts (zod/mini with its messages) instead.' },
            { name: 'zod/mini', message: 'Import functions/domain/zod.ts, which sets zod’s messages.' },
          ],
          patterns: [
            {
              group: ['zod/*', '!zod/mini'],
              message: 'Import functions/domain/zod.ts (zod/mini with its messages) instead.',
            },
          ],
        },
      ],
    },
  },
);
