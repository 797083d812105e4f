import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands.js';
import { requiredOptions } from '../../../src/cli/main.js';
import { promptTimeoutMs } from '../../../src/cli/io.js';
import { didYouMean, editDistance, nearest } from '../../../src/core/suggest.js';

describe('did you mean', () => {
  it('edit distance counts insertions, deletions, substitutions and a swap of neighbours as one each', () => {
    expect(editDistance('list', 'list')).toBe(0);
    expect(editDistance('lisst', 'list')).toBe(1);
    expect(editDistance('lst', 'list')).toBe(1);
    expect(editDistance('lizt', 'list')).toBe(1);
    expect(editDistance('reqeust', 'request')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only near names, nearest first, and nothing for a word unlike any', () => {
    const words = ['list', 'request', 'reseal', 'review', 'seal', 'init'];
    expect(nearest('lisst', words)).toEqual(['list']);
    expect(nearest('reseel', words)).toEqual(['reseal']);
    expect(nearest('frobnicate', words)).toEqual([]);
    expect(nearest('re', words)).toEqual(['request', 'reseal', 'review']);
    expect(nearest('x'.repeat(100), words)).toEqual([]);
    expect(didYouMean('sael', words)).toBe('; did you mean "seal"?');
    expect(didYouMean('zzzz', words)).toBe('');
  });
});

describe('the options a usage requires', () => {
  it('are the ones outside brackets, none when the usage has alternatives', () => {
    expect(requiredOptions('request export REQUEST --holder ID --out FILE')).toEqual(['holder', 'out']);
    expect(requiredOptions('journal verify [--genesis-key KEY] [--file EXPORT --genesis-key KEY]')).toEqual([]);
    expect(requiredOptions('unseal REQUEST [--reveal | --copy [--clear-after SECONDS] | --out FILE]')).toEqual([]);
    expect(requiredOptions('approve REQUEST --holder ID [--yes] | approve --bundle FILE|CODE --out FILE [--yes]')).toEqual([]);
  });

  it('every option a command usage requires is one of its declared string options', () => {
    for (const c of COMMANDS)
      for (const name of requiredOptions(c.usage)) expect(c.options[name]?.type, `${c.words.join(' ')} --${name}`).toBe('string');
  });
});

describe('the prompt timeout', () => {
  it('is BREAKGLASS_PROMPT_TIMEOUT seconds when it is 1-3600, else 5 minutes', () => {
    expect(promptTimeoutMs({})).toBe(300_000);
    expect(promptTimeoutMs({ BREAKGLASS_PROMPT_TIMEOUT: '1' })).toBe(1_000);
    expect(promptTimeoutMs({ BREAKGLASS_PROMPT_TIMEOUT: '3600' })).toBe(3_600_000);
    for (const bad of ['0', '-5', '3601', '1.5', 'soon', ''])
      expect(promptTimeoutMs({ BREAKGLASS_PROMPT_TIMEOUT: bad }), bad).toBe(300_000);
  });
});
