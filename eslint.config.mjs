import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'core/src/schema/validators.gen.cjs', '.cache/**', 'bench/.work/**', 'test/.tmp/**', 'examples/**/*.py'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // core/ is editor-agnostic: the language server and the extension are adapters over it.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['vscode', 'vscode-*', 'vscode-languageserver*', 'vscode-languageclient*', 'vscode-jsonrpc*'],
          message: 'core/ must not depend on the editor or LSP: put the adapter in server/ or client/.' }],
      }],
    },
  },
  {
    // Webviews run in the browser sandbox: no Node, no editor API — they talk to the host by messages.
    files: ['webviews/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['node:*', 'vscode', 'vscode-*'], message: 'webviews/ runs in a browser: use the message contract (webviews/src/contract.ts).' }],
      }],
    },
  },
);
