/**
 * `list` shows what the policy asks for next and by when: the review of an activation
 * (`review.due_hours` after its unseal) and the next drill of a sealed credential
 * (`drills.every_days` after its last drill, or its seal), and says OVERDUE once the time is past.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../../helpers/cli.js';
import { requireTool } from '../../helpers/tools.js';
import { buildWorld, examplePolicy, type World } from '../../helpers/world.js';
import { journal, jsonOk } from './vault-state.js';

const TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d\\d:\\d\\d \\([^)]*\\)';

describe('list: reviews and drills due', () => {
  let world: World;
  beforeAll(async () => {
    // A review due 1.8 s after the unseal, so the test sees it become overdue.
    world = await buildWorld({ policy: examplePolicy({ 'due_hours: 24': 'due_hours: 0.0005' }) });
  }, 180_000);
  afterAll(() => world.cleanup());

  type Listed = { credentials: { id: string; state: string; due: { what: string; at: number } | null }[] };
  const listed = async () => jsonOk<Listed>(await world.vault.run(['--json', 'list'])).credentials.find((c) => c.id === 'prod-db-root')!;

  it('a drill not done within every_days is OVERDUE in list (the clock moved 91 days on with faketime; nothing written)', () => {
    requireTool('faketime', 'faketime');
    const entries = journal(world.vault.vault).length;
    const later = (args: string[]) =>
      spawnSync('faketime', ['-f', '+91d', process.execPath, BIN, '--vault', world.vault.vault, ...args], {
        encoding: 'utf8',
        env: { ...process.env, BREAKGLASS_HOME: undefined },
      });
    const text = later(['list']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^prod-db-root\\tSEALED\\t.*\\tdrill OVERDUE since ${TIME}$`, 'm'));
    const json = later(['--json', 'list']);
    const due = (JSON.parse(json.stdout) as Listed).credentials.find((c) => c.id === 'prod-db-root')!.due!;
    expect(due.what).toBe('drill');
    // Past, on the clock the command ran by.
    expect(due.at).toBeLessThan(Date.now() + 91 * 86_400_000);
    expect(journal(world.vault.vault)).toHaveLength(entries);
  });

  it('a sealed credential owes its next drill every_days after its seal; an unsealed one its review, overdue once past', async () => {
    const sealedAt = journal(world.vault.vault).find((e) => e.kind === 'credential.seal')!;
    const sealTime = (await world.vault.run(['--json', 'journal', 'show', '--kind', 'credential.seal']))
      .json<{ entries: { seq: number; time: number }[] }>()
      .entries.find((e) => e.seq === sealedAt.seq)!.time;
    expect((await listed()).due).toEqual({ what: 'drill', at: sealTime + 90 * 86_400_000 });
    expect((await world.vault.run(['list'])).stdout).toMatch(new RegExp(`^prod-db-root\\tSEALED\\t.*\\tdrill due ${TIME}$`, 'm'));

    const request = await world.request();
    for (const h of ['alice', 'bob'])
      jsonOk(await world.vault.run(['--json', 'approve', request, '--holder', h, '--yes'], { passphraseOf: h }));
    jsonOk(await world.vault.run(['--json', 'unseal', request]));
    const unsealedAt = (await world.vault.run(['--json', 'journal', 'show', '--kind', 'credential.unseal']))
      .json<{ entries: { time: number }[] }>()
      .entries.at(-1)!.time;
    expect((await listed()).due).toEqual({ what: 'review', at: unsealedAt + 1_800 });
    await new Promise((r) => setTimeout(r, Math.max(0, unsealedAt + 1_900 - Date.now())));
    expect((await world.vault.run(['list'])).stdout).toMatch(
      new RegExp(`^prod-db-root\\tUNSEALED \\(exposed\\)\\t.*\\treview OVERDUE since ${TIME}$`, 'm'),
    );
    jsonOk(await world.vault.run(['--json', 'close', 'prod-db-root']));
    expect(await listed()).toMatchObject({ state: 'REVIEW_PENDING', due: { what: 'review', at: unsealedAt + 1_800 } });
  });
});
