/**
 * `npm run demo`: the whole break-glass story, played with the real `breakglass` CLI in child
 * processes, on simulated laptops (temporary folders) that share one private OS keychain session.
 * It prints every command as a person would type it, its output, and what just happened; and it
 * exits non-zero when any step does not end as the story expects, so it doubles as a check.
 *
 *   npm run demo               (builds, then runs inside scripts/with-keychain.sh)
 *   node dist/scripts/demo.js [--keep]   (inside a keychain session; --keep leaves the folders)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'breakglass.js');
const EXAMPLE_POLICY = join(ROOT, 'docs', 'policy.example.yaml');
const CREDENTIAL = 'prod-db-root';

/** A person of the story. The passphrase is theirs to type; the demo never prints it. */
interface Person {
  readonly id: string;
  readonly name: string;
  readonly passphrase: string;
}

const person = (id: string): Person => ({
  id,
  name: id[0]!.toUpperCase() + id.slice(1),
  passphrase: `${id}: correct horse battery staple ${randomBytes(4).toString('hex')}`,
});
const alice = person('alice');
const bob = person('bob');
const carol = person('carol');
const dave = person('dave');
const PEOPLE = [alice, bob, carol, dave];

/** A simulated machine: a home folder, where its commands run, with its vault inside. */
interface Machine {
  readonly label: string;
  readonly home: string;
  readonly vault: string;
}

/** What one CLI run produced; `lines` has both streams in the order they arrived, as a terminal shows them. */
interface Outcome {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: readonly { readonly stderr: boolean; readonly text: string }[];
}

/** A step that did not end as the story expects: the demo stops and exits 1. */
class StoryBroken extends Error {}

interface StepOptions {
  /** The exit status the story expects (0 unless said otherwise). */
  readonly expect?: number;
  /** Who types a passphrase for this command (handed over with --passphrase-file). */
  readonly typist?: Person;
  /** Text typed on standard input, and how the transcript describes it. */
  readonly stdin?: { readonly text: string; readonly said: string };
  /** True for the one command that is meant to print the secret. */
  readonly revealsSecret?: boolean;
  /** A stderr code the outcome must name (for refusals). */
  readonly code?: string;
}

const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

/** Text codes are long single lines; the transcript shows their start. */
const shorten = (line: string): string =>
  /^BGV\S{80,}$/.test(line) ? `${line.slice(0, 48)}... (${line.length} characters, shortened here)` : line;

/** Colours, only when a person is watching a terminal. */
function palette(on: boolean) {
  const wrap = (code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
  return {
    act: wrap('1;4'),
    machine: wrap('35'),
    command: wrap('1;36'),
    note: wrap('2'),
    explain: wrap('32'),
    refusal: wrap('33'),
    bad: wrap('1;31'),
  };
}

/** Runs the CLI as typed on `machine`: its home is the working folder, its vault the default vault. */
function runCli(machine: Machine, args: readonly string[], stdin: string | undefined): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: machine.home,
      env: { ...process.env, BREAKGLASS_HOME: machine.vault },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const text = { out: '', err: '' };
    const pending = { out: '', err: '' };
    const lines: { stderr: boolean; text: string }[] = [];
    const take = (stream: 'out' | 'err', chunk: string, flush = false): void => {
      text[stream] += chunk;
      const parts = (pending[stream] + chunk).split('\n');
      pending[stream] = flush ? '' : parts.pop()!;
      for (const part of parts) if (part !== '') lines.push({ stderr: stream === 'err', text: part });
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => take('out', d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => take('err', d));
    child.on('error', fail);
    child.on('close', (code) => {
      take('out', '', true);
      take('err', '', true);
      done({ status: code ?? -1, stdout: text.out, stderr: text.err, lines });
    });
    // A command that exits without reading its input closes the pipe early: not a failure of the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}

/** The transcript: prints each step and checks that it ended as the story expects. */
class Story {
  readonly #c: ReturnType<typeof palette>;
  readonly #secret: string;
  #machine: Machine | null = null;
  commands = 0;

  constructor(colours: boolean, secret: string) {
    this.#c = palette(colours);
    this.#secret = secret;
  }

  print(line = ''): void {
    process.stdout.write(`${line}\n`);
  }

  act(title: string): void {
    this.#machine = null;
    this.print();
    this.print(this.#c.act(title));
  }

  tell(text: string): void {
    this.print(this.#c.note(text));
  }

  /** Runs `breakglass ARGS` on a machine, prints it, and checks its exit status and what it printed. */
  async step(machine: Machine, args: readonly string[], explanation: string, options: StepOptions = {}): Promise<Outcome> {
    const expect = options.expect ?? 0;
    const argv = [...args];
    let passFile: string | null = null;
    if (options.typist) {
      passFile = join(machine.home, `${options.typist.id}.pass`);
      writeFileSync(passFile, options.typist.passphrase, { mode: 0o600 });
      argv.push('--passphrase-file', `${options.typist.id}.pass`);
    }
    if (this.#machine !== machine) {
      this.print();
      this.print(this.#c.machine(`  [${machine.label}]`));
      this.#machine = machine;
    }
    this.print(this.#c.command(`$ breakglass ${argv.map(quote).join(' ')}`));
    if (options.typist) {
      const { name, id } = options.typist;
      this.print(this.#c.note(`  (${name} types a passphrase; the demo hands it over in ${id}.pass, deleted right after)`));
    }
    if (options.stdin) this.print(this.#c.note(`  (${options.stdin.said}, on standard input: never on the command line)`));
    let outcome: Outcome;
    try {
      outcome = await runCli(machine, argv, options.stdin?.text);
    } finally {
      if (passFile) rmSync(passFile, { force: true });
    }
    this.commands++;
    for (const { stderr, text } of outcome.lines) {
      const line = `  ${shorten(text)}`;
      this.print(!stderr ? line : outcome.status === 0 ? this.#c.note(line) : this.#c.refusal(line));
    }
    if (outcome.status !== 0) this.print(this.#c.refusal(`  [exit status ${outcome.status}]`));
    const problem = this.#check(outcome, expect, options);
    if (problem) throw new StoryBroken(`breakglass ${args.join(' ')} on ${machine.label}: ${problem}`);
    this.print(this.#c.explain(`-> ${explanation}`));
    return outcome;
  }

  #check(outcome: Outcome, expect: number, options: StepOptions): string | null {
    if (outcome.status !== expect) return `expected exit status ${expect}, got ${outcome.status}`;
    if (options.code && !outcome.stderr.includes(options.code)) return `expected ${options.code} on stderr`;
    const printed = outcome.stdout + outcome.stderr;
    if (PEOPLE.some((p) => printed.includes(p.passphrase))) return 'a passphrase appeared in the output';
    if (!options.revealsSecret && printed.includes(this.#secret)) return 'the secret appeared in the output without --reveal';
    return null;
  }

  /** A file moving from one machine to another, by hand: USB stick, chat, a code read over the phone. */
  carry(from: Machine, file: string, to: Machine, how: string): void {
    copyFileSync(join(from.home, file), join(to.home, file));
    if (this.#machine !== null) this.print();
    this.#machine = null;
    this.print(this.#c.machine(`  ~ ${file}: from ${from.label} to ${to.label}, ${how} ~`));
  }

  /** Stops the story when a value it needs is missing from a command's output. */
  find(outcome: Outcome, pattern: RegExp, what: string): string {
    const found = pattern.exec(outcome.stdout)?.[1];
    if (!found) throw new StoryBroken(`could not find ${what} in the output`);
    return found;
  }
}

/** Every regular file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((relative) => join(dir, relative))
    .filter((path) => statSync(path).isFile());
}

async function play(story: Story, root: string, secret: string): Promise<void> {
  const machine = (dir: string, label: string): Machine => {
    const home = join(root, dir);
    mkdirSync(home);
    return { label, home, vault: join(home, 'vault') };
  };
  const cart = machine('crash-cart', 'the crash cart (vault laptop)');
  const laptops = new Map(PEOPLE.map((p) => [p.id, machine(`${p.id}-laptop`, `${p.name}'s laptop`)]));
  const laptopOf = (p: Person): Machine => laptops.get(p.id)!;
  const auditor = machine('auditor', "an auditor's machine (no vault)");

  story.print('Break Glass Vault: one outage, from setup to the signed review, with the real breakglass CLI.');
  story.tell(`Five simulated laptops, each a folder under ${root}: the vault laptop (a crash cart in the`);
  story.tell('datacenter), and the laptops of Alice, Bob and Carol (key holders; Carol also reviews) and Dave');
  story.tell('(on call, the requester). They share one private OS keychain session; each vault keeps its keys');
  story.tell('under its own name there. Each laptop runs breakglass with its own default vault.');

  story.act('1. Setting up: a vault on every machine, keys made by each person on their own laptop');
  const init = await story.step(
    cart,
    ['init', '--name', 'crash cart'],
    'the crash cart has a vault and a signed journal; its journal key is in the keychain. Security writes down its genesis key for auditors.',
  );
  const genesisKey = story.find(init, /genesis key (\S+)/, 'the genesis key');
  for (const p of PEOPLE) {
    const laptop = laptopOf(p);
    await story.step(
      laptop,
      ['init', '--name', `${p.name}'s laptop`],
      `${p.name}'s laptop has its own vault and journal: it will record what ${p.name} signs on it.`,
    );
    await story.step(
      laptop,
      ['member', 'create', '--id', p.id, '--name', p.name, '--out', `${p.id}.card`],
      `${p.name}'s signing and encryption keys were made here, wrapped by the passphrase and kept in the keychain; ${p.id}.card holds only the public keys, self-signed.`,
      { typist: p },
    );
    if (p === bob) {
      story.carry(laptop, 'bob.card', cart, 'on a USB stick; Bob works remotely and leaves no copy of his keys at the crash cart');
      continue;
    }
    await story.step(
      laptop,
      ['member', 'export-key', '--id', p.id, '--out', `${p.id}.custody`],
      `a copy of ${p.name}'s keys, still wrapped by the passphrase, for custody at the crash cart: ${p.name} can then sign there in person.`,
      { typist: p },
    );
    story.carry(laptop, `${p.id}.card`, cart, 'on a USB stick');
    story.carry(laptop, `${p.id}.custody`, cart, 'on the same USB stick');
  }
  for (const p of PEOPLE) {
    const custody = p === bob ? [] : ['--custody', `${p.id}.custody`];
    await story.step(
      cart,
      ['member', 'add', `${p.id}.card`, ...custody],
      `${p.name} is enrolled at the crash cart${custody.length ? ', with a custody copy' : ', remote only'}.`,
    );
  }
  await story.step(cart, ['member', 'list'], 'four members; Bob can approve only from his own laptop.');
  copyFileSync(EXAMPLE_POLICY, join(cart.home, 'policy.yaml'));
  story.tell('\n  (security hands the crash cart its policy: docs/policy.example.yaml, saved as policy.yaml)');
  await story.step(cart, ['policy', 'check', 'policy.yaml'], 'the policy is valid (the same check can gate CI).');
  await story.step(
    cart,
    ['policy', 'set', 'policy.yaml'],
    'in force: 2 of Alice, Bob, Carol; only Dave may ask, only for a listed trigger; Carol reviews.',
  );
  await story.step(
    cart,
    ['seal', '--credential', CREDENTIAL, '--label', 'prod DB root', '--secret-file', '-'],
    'the secret is encrypted under a fresh data key split into 3 shares, each sealed to one holder: the crash cart alone cannot open it.',
    { stdin: { text: secret, said: 'the root password is typed' } },
  );
  await story.step(cart, ['list'], `${CREDENTIAL} is SEALED.`);

  story.act('2. The outage: the WAN is down and Dave needs the production database root password');
  const request = await story.step(
    cart,
    [
      'request',
      '--credential',
      CREDENTIAL,
      '--trigger',
      'network-outage',
      '--reason',
      'WAN and IdP down; need DB root to fail over the primary',
      '--incident',
      'INC-2042',
      '--requester',
      'dave',
    ],
    'Dave signed a request with his custody copy: a trigger from the policy, a reason, an incident; it expires in 15 minutes.',
    { typist: dave },
  );
  const requestId = story.find(request, /^request (\S+) for /m, 'the request id');
  await story.step(
    cart,
    ['approve', requestId, '--holder', 'alice', '--yes'],
    "Alice, in the datacenter, opened her share with her passphrase and re-sealed it to this request's own key: 1 of 2.",
    { typist: alice },
  );
  await story.step(
    cart,
    ['request', 'export', requestId, '--holder', 'bob', '--out', 'bundle-bob.json'],
    "a bundle for Bob: the request, Dave's signature, and Bob's sealed share, which only Bob's key opens.",
  );
  story.carry(cart, 'bundle-bob.json', laptopOf(bob), 'no network: on a USB stick, or the text code read over the phone');
  await story.step(
    laptopOf(bob),
    ['approve', '--yes', '--bundle', 'bundle-bob.json', '--out', 'approval-bob.json'],
    "Bob checked Dave's signature, read the details and approved with his passphrase; his own journal recorded it (approval.give).",
    { typist: bob },
  );
  story.carry(laptopOf(bob), 'approval-bob.json', cart, 'the same way back');
  await story.step(cart, ['approval', 'import', 'approval-bob.json'], "Bob's signature and share check out: 2 of 2, the threshold is met.");
  const reveal = await story.step(
    cart,
    ['unseal', requestId, '--reveal'],
    'the two shares rebuilt the data key and the secret was decrypted and journaled. It is a made-up demo secret, fresh for this run: a real one never belongs in a terminal log.',
    { revealsSecret: true },
  );
  if (reveal.stdout.trim() !== secret) throw new StoryBroken('the revealed secret is not the one that was sealed');
  story.tell('  (checked: the revealed secret is exactly the one sealed in step 1)');
  await story.step(cart, ['list'], `${CREDENTIAL} is UNSEALED and counts as exposed until it is resealed.`);

  story.act('3. The outage is over: close, review, reseal');
  await story.step(
    cart,
    ['reseal', CREDENTIAL],
    'refused, exit status 3 (REVIEW_REQUIRED): nothing is resealed before a post-incident review is signed.',
    { expect: 3, code: 'REVIEW_REQUIRED' },
  );
  await story.step(
    cart,
    ['close', CREDENTIAL],
    "the unseal window is closed: the request's key and the old envelope are erased; the credential waits for its review.",
  );
  await story.step(
    cart,
    [
      'review',
      CREDENTIAL,
      '--reviewer',
      'carol',
      '--warranted',
      'yes',
      '--summary',
      'Failed over the primary during the WAN outage',
      '--changes',
      'none',
      '--follow-up',
      'INC-2042 postmortem: second WAN link',
    ],
    'Carol, a reviewer who did not ask for access, signed the review; it is evidence in the journal.',
    { typist: carol },
  );
  await story.step(
    cart,
    ['reseal', CREDENTIAL],
    'the envelope prepared at unseal (fresh data key, fresh split) is now active: the old shares and both approvals are worthless.',
  );
  await story.step(cart, ['list'], `${CREDENTIAL} is SEALED again, version 2, no longer exposed.`);

  story.act('4. The evidence: every journal verifies, and an auditor checks the crash cart independently');
  for (const m of [cart, ...laptops.values()]) {
    await story.step(
      m,
      ['journal', 'verify'],
      `every entry on ${m.label} is chained and signed by its epoch key, and the keychain holds the key of the last epoch.`,
    );
  }
  const cartJournal = await story.step(
    cart,
    ['journal', 'show'],
    'the incident, signed entry by entry: request, both approvals, unseal, reveal, close, review, reseal; a key.rotate after each change.',
  );
  const cartVaultId = story.find(cartJournal, /journal\.genesis +vault -> (v-\S+)/, "the crash cart's vault id");
  const bobJournal = await story.step(
    laptopOf(bob),
    ['journal', 'show'],
    `the cross-reference: Bob's laptop signed its own approval.give for ${requestId} at vault ${cartVaultId} (the crash cart), holding the cart's journal position (seq, hash) too; once both sync, the server matches it to the cart's approval.accept by bob, so a cart that cut its journal tail would be caught.`,
  );
  if (!new RegExp(`approval\\.give +bob -> ${CREDENTIAL} +${requestId} at vault ${cartVaultId}`).test(bobJournal.stdout)) {
    throw new StoryBroken("Bob's journal does not record his approval of the crash cart's request");
  }
  await story.step(
    cart,
    ['journal', 'export', '--out', 'crash-cart-journal.jsonl'],
    'the journal as JSON Lines, each entry with its hash and signature, for a SIEM or an auditor.',
  );
  story.carry(cart, 'crash-cart-journal.jsonl', auditor, 'by e-mail, once the network is back');
  await story.step(
    auditor,
    ['journal', 'verify', '--file', 'crash-cart-journal.jsonl', '--genesis-key', genesisKey],
    'a third party with only the export and the genesis key security wrote down at setup verified every entry: no vault, no keychain, no trust in the crash cart.',
  );

  const files = filesUnder(root);
  const leaked = files.filter((f) => {
    const bytes = readFileSync(f);
    return bytes.includes(secret) || PEOPLE.some((p) => bytes.includes(p.passphrase));
  });
  if (leaked.length > 0) throw new StoryBroken(`the secret or a passphrase is in plain text in ${leaked.join(', ')}`);
  story.tell(`\n  (checked: none of the ${files.length} files on these machines holds the secret or a passphrase in plain text)`);
}

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== '--keep');
  if (unknown.length > 0) {
    process.stderr.write(`usage: node dist/scripts/demo.js [--keep]   (unknown: ${unknown.join(' ')})\n`);
    return 2;
  }
  // The demo writes keys into the keychain and never removes them: only ever into a private one.
  if (process.env['BREAKGLASS_KEYCHAIN_READY'] !== '1') {
    process.stderr.write(
      'the demo runs inside a private keychain session: use "npm run demo" (or bash scripts/with-keychain.sh node dist/scripts/demo.js)\n',
    );
    return 5;
  }
  const keep = argv.includes('--keep');
  const colours = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
  const c = palette(colours);
  // Made up for this run, so it can be shown: that is the point of the demo, never of a real secret.
  const secret = `demo-only-${randomBytes(9).toString('base64url')}`;
  const root = mkdtempSync(join(tmpdir(), 'bgv-demo-'));
  const cleanup = (): void => {
    if (!keep) rmSync(root, { recursive: true, force: true });
  };
  const interrupted = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  const story = new Story(colours, secret);
  const started = Date.now();
  try {
    await play(story, root, secret);
    story.print();
    story.print(
      c.explain(
        `Demo complete: all ${story.commands} commands ended as the story expects (${((Date.now() - started) / 1000).toFixed(1)} s).`,
      ),
    );
    return 0;
  } catch (err) {
    story.print();
    story.print(c.bad(`DEMO FAILED: ${err instanceof StoryBroken ? err.message : String((err as Error)?.stack ?? err)}`));
    return 1;
  } finally {
    process.off('SIGINT', interrupted);
    cleanup();
    story.print(keep ? `The machines are kept in ${root}` : 'The temporary machines are removed (run with --keep to look at them).');
  }
}

process.exitCode = await main(process.argv.slice(2));
