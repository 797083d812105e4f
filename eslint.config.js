// ESLint: typescript-eslint's recommended rules plus the layer rules of DESIGN.md ("Architecture").
// The layer rules are the architecture; do not relax them. Change DESIGN.md first if a layer must move.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTIN_NAMES = [
  'fs',
  'path',
  'crypto',
  'os',
  'child_process',
  'net',
  'http',
  'https',
  'stream',
  'zlib',
  'util',
  'url',
  'worker_threads',
  'perf_hooks',
  'readline',
  'events',
  'buffer',
  'process',
];
const NODE_BUILTINS = ['node:*'];

/** Import patterns a layer may not use, by the folders it must not reach. */
function forbid(...groups) {
  const noNodeApi = groups.find(([group]) => group === NODE_BUILTINS);
  return {
    'no-restricted-imports': [
      'error',
      {
        // Bare builtin names are exact module names, so a local folder called "events" is not caught.
        paths: noNodeApi ? NODE_BUILTIN_NAMES.map((name) => ({ name, message: noNodeApi[1] })) : [],
        patterns: groups.map(([group, message]) => ({ group, message })),
      },
    ],
  };
}

/**
 * Rules that keep Node out of code the renderer bundles: dynamic imports (but the browser QR
 * libraries, loaded when first used, by their exact names) and Node's globals.
 */
const NO_NODE_AT_RUNTIME = {
  'no-restricted-syntax': [
    'error',
    { selector: 'ImportExpression:not([source.value=/^(jsqr|qrcode)$/])', message: 'no dynamic import in this layer' },
  ],
  'no-restricted-globals': [
    'error',
    ...['Buffer', 'process', 'require', 'global', '__dirname', '__filename'].map((name) => ({
      name,
      message: 'no Node globals in this layer',
    })),
  ],
};

const higherThanCore = [
  '**/crypto/**',
  '**/journal/**',
  '**/store/**',
  '**/keychain/**',
  '**/vault/**',
  '**/sync/**',
  '**/server/**',
  '**/cli/**',
  '**/electron/**',
  '**/renderer/**',
];
const appLayers = ['**/vault/**', '**/sync/**', '**/server/**', '**/cli/**', '**/electron/**', '**/renderer/**'];
const nativeOrApp = [
  ['keytar', 'only src/keychain/ imports keytar'],
  ['better-sqlite3', 'only src/store/ and src/server/ storage import better-sqlite3'],
  ['pg', 'only src/store/ and src/server/ storage import pg'],
  ['electron', 'only electron/ imports electron'],
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  // --- Layer rules (DESIGN.md). Do not relax. ---
  {
    files: ['src/core/**/*.ts'],
    rules: {
      ...forbid(
        [higherThanCore, 'core imports nothing outside core'],
        [NODE_BUILTINS, 'core uses no Node API: the renderer bundles it'],
        ...nativeOrApp.map(([g, m]) => [[g], m]),
      ),
      ...NO_NODE_AT_RUNTIME,
    },
  },
  {
    files: ['src/crypto/**/*.ts'],
    rules: forbid(
      [['**/store/**', '**/keychain/**', '**/journal/**', ...appLayers], 'crypto imports only core'],
      [['keytar', 'better-sqlite3', 'pg', 'electron'], 'crypto uses no native store or UI module'],
    ),
  },
  {
    files: ['src/keychain/**/*.ts'],
    rules: forbid(
      [['**/store/**', '**/crypto/**', '**/journal/**', ...appLayers], 'keychain imports only core'],
      [['better-sqlite3', 'pg', 'electron'], 'keychain uses only keytar'],
    ),
  },
  {
    files: ['src/store/**/*.ts'],
    rules: forbid(
      [['**/keychain/**', '**/crypto/**', '**/journal/**', ...appLayers], 'store imports only core'],
      [['keytar', 'electron'], 'store uses only SQLite'],
    ),
  },
  {
    files: ['src/journal/**/*.ts'],
    rules: forbid(
      [['**/store/**', '**/keychain/**', ...appLayers], 'journal imports only core and crypto'],
      ...nativeOrApp.map(([g, m]) => [[g], m]),
    ),
  },
  {
    files: ['src/vault/**/*.ts'],
    rules: forbid(
      [
        ['**/sync/**', '**/server/**', '**/cli/**', '**/electron/**', '**/renderer/**'],
        'vault imports core, crypto, journal, store, keychain',
      ],
      ...nativeOrApp.map(([g, m]) => [[g], m]),
    ),
  },
  {
    files: ['src/sync/**/*.ts'],
    rules: forbid(
      [
        ['**/vault/**', '**/keychain/**', '**/server/**', '**/cli/**', '**/electron/**', '**/renderer/**'],
        'sync imports core, crypto, journal, store',
      ],
      ...nativeOrApp.map(([g, m]) => [[g], m]),
    ),
  },
  {
    files: ['src/server/**/*.ts'],
    rules: forbid(
      [
        ['**/vault/**', '**/keychain/**', '**/sync/**', '**/cli/**', '**/electron/**', '**/renderer/**'],
        'server imports core, crypto, journal, store',
      ],
      [['keytar', 'electron'], 'the server uses no keychain or UI'],
    ),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: forbid(
      [['**/electron/**', '**/renderer/**'], 'cli imports the core layers, not the app'],
      ...nativeOrApp.map(([g, m]) => [[g], m]),
    ),
  },
  { files: ['renderer/**/*.{ts,tsx}'], rules: NO_NODE_AT_RUNTIME },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: forbid(
      [
        [
          '**/src/crypto/**',
          '**/src/journal/**',
          '**/src/store/**',
          '**/src/keychain/**',
          '**/src/vault/**',
          '**/src/sync/**',
          '**/src/server/**',
          '**/src/cli/**',
          '**/electron/**',
        ],
        'the renderer imports only src/core',
      ],
      [NODE_BUILTINS, 'no Node in the renderer'],
      ...nativeOrApp.map(([g, m]) => [[g], m]),
    ),
  },
  {
    files: ['electron/**/*.ts'],
    rules: forbid([['keytar', 'better-sqlite3', 'pg'], 'electron/ reaches native modules only through the core layers']),
  },
  // Tests, benchmarks and scripts may use anything, and print.
  { files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'], rules: { 'no-console': 'off' } },
);
