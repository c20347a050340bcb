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
      // esbuild writes every bundle in ASCII, escaping what it can, but not a regex literal or a
      // tagged template's text (their raw text is their meaning). One such character makes Node
      // decode the whole bundle as UTF-8 and V8 parse it as two-byte source, at every cold start:
      // write \u2019 in a regex and an HTML entity (&ndash;) in html`…` instead.
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Literal[regex.pattern=/[^\\x00-\\x7F]/]',
          message: 'Write a non-ASCII character in a regex as \\uXXXX: the bundle stays ASCII (cold start).',
        },
        {
          selector: 'TaggedTemplateExpression > TemplateLiteral > TemplateElement[value.raw=/[^\\x00-\\x7F]/]',
          message:
            'Write a non-ASCII character in a tagged template as an HTML entity: the bundle stays ASCII (cold start).',
        },
      ],
    },
  },
);
