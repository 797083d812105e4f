import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, it, expect, beforeAll } from 'vitest';

// The layer rules of DESIGN.md live in eslint.config.js. These tests lint small snippets as if they
// were files of each layer, so loosening a rule (or breaking its patterns) fails here.
const ROOT = resolve(import.meta.dirname, '../../..');

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

async function lint(file: string, code: string): Promise<ESLint.LintResult> {
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, file) });
  return result!;
}

function importing(spec: string): string {
  return `import { thing } from '${spec}';\nexport const used = thing;\n`;
}

describe('layer rules (eslint.config.js)', () => {
  it.each([
    ['src/core/x.ts', 'node:fs', 'core uses no Node API: the renderer bundles it'],
    ['src/core/x.ts', 'fs', 'core uses no Node API: the renderer bundles it'],
    ['src/core/x.ts', 'node:crypto', 'core uses no Node API: the renderer bundles it'],
    ['src/core/deeper/x.ts', 'node:path', 'core uses no Node API: the renderer bundles it'],
    ['src/core/x.ts', '../vault/index.js', 'core imports nothing outside core'],
    ['src/core/x.ts', '../crypto/index.js', 'core imports nothing outside core'],
    ['src/core/x.ts', 'better-sqlite3', 'only src/store/ and src/server/ storage import better-sqlite3'],
    ['src/crypto/x.ts', '../store/index.js', 'crypto imports only core'],
    ['src/crypto/x.ts', '../journal/index.js', 'crypto imports only core'],
    ['src/journal/x.ts', '../store/index.js', 'journal imports only core and crypto'],
    ['src/journal/x.ts', 'keytar', 'only src/keychain/ imports keytar'],
    ['src/store/x.ts', 'keytar', 'store uses only SQLite'],
    ['src/store/x.ts', '../crypto/index.js', 'store imports only core'],
    ['src/keychain/x.ts', 'better-sqlite3', 'keychain uses only keytar'],
    ['src/vault/x.ts', '../cli/commands.js', 'vault imports core, crypto, journal, store, keychain'],
    ['src/vault/x.ts', 'electron', 'only electron/ imports electron'],
    ['renderer/x.tsx', '../src/vault/index.js', 'the renderer imports only src/core'],
    ['renderer/x.tsx', '../src/crypto/index.js', 'the renderer imports only src/core'],
    ['renderer/x.tsx', 'node:fs', 'no Node in the renderer'],
    ['src/cli/x.ts', 'electron', 'only electron/ imports electron'],
    ['electron/main.ts', 'better-sqlite3', 'electron/ reaches native modules only through the core layers'],
  ])('%s may not import %s', async (file, spec, message) => {
    const result = await lint(file, importing(spec));
    expect(result.messages.length).toBeGreaterThan(0);
    // A spec may match two groups (".../crypto/..." is also the Node module name "crypto").
    for (const m of result.messages) {
      expect(m.ruleId).toBe('no-restricted-imports');
      expect(m.severity).toBe(2);
    }
    expect(result.messages.map((m) => m.message).join('\n')).toContain(message);
  });

  it.each([
    ['src/core/x.ts', "export const f = () => import('node:fs');\n", 'no-restricted-syntax'],
    ['src/core/x.ts', "export const b = Buffer.from('x');\n", 'no-restricted-globals'],
    ['src/core/x.ts', 'export const e = process.env;\n', 'no-restricted-globals'],
    ['renderer/x.tsx', "export const f = () => import('node:child_process');\n", 'no-restricted-syntax'],
    ['renderer/x.tsx', 'export const e = process.env;\n', 'no-restricted-globals'],
  ])('%s may not reach Node at run time: %s', async (file, code, rule) => {
    const result = await lint(file, code);
    expect(result.messages.map((m) => m.ruleId)).toContain(rule);
  });

  it('does not mistake a local folder named like a Node module for it', async () => {
    const result = await lint('renderer/x.tsx', importing('./events/list.js'));
    expect(result.messages).toEqual([]);
  });

  it('catches type-only imports and re-exports too', async () => {
    const typeOnly = await lint('src/core/x.ts', "import type { Db } from '../store/index.js';\nexport type D = Db;\n");
    expect(typeOnly.messages.map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
    const reexport = await lint('src/core/x.ts', "export { readFileSync } from 'node:fs';\n");
    expect(reexport.messages.map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
  });

  it.each([
    ['src/vault/x.ts', '../journal/index.js'],
    ['src/vault/x.ts', '../store/index.js'],
    ['src/core/x.ts', 'zod'],
    ['src/core/x.ts', './errors.js'],
    ['src/crypto/x.ts', '../core/canonical.js'],
    ['src/journal/x.ts', '../crypto/index.js'],
    ['src/store/x.ts', 'better-sqlite3'],
    ['src/keychain/x.ts', 'keytar'],
    ['src/cli/x.ts', '../vault/index.js'],
    ['renderer/x.tsx', '../src/core/errors.js'],
    ['electron/main.ts', 'electron'],
  ])('%s may import %s', async (file, spec) => {
    // Not ignored, so an empty result means the rules ran and passed.
    expect(await eslint.isPathIgnored(resolve(ROOT, file))).toBe(false);
    const result = await lint(file, importing(spec));
    expect(result.messages).toEqual([]);
  });
});
