// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** The domain core must run in a plain Node process (CLI, worker, unit tests): no `vscode` at run time. */
const noVscodeInCore = {
  files: ['src/core/**/*.ts', 'src/cli/**/*.ts', 'src/shared/**/*.ts', 'src/webview/**/*.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        paths: [
          {
            name: 'vscode',
            message: 'The core never imports vscode: put VS Code code in src/extension/.',
            allowTypeImports: false,
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'out/',
      '.vscode-test/',
      'models/',
      'artifacts/',
      '.bench/',
      '.bench-peers/',
      'test/fixtures/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/webview/**/*.ts', 'test/e2e/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  noVscodeInCore,
);
