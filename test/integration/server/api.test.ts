/**
 * The server suite, run against SQLite and PostgreSQL: enrolment, ingest with full verification,
 * receipts, idempotent and concurrent re-sends, conflicts, forks, tampered batches, tokens, limits,
 * health, metrics and the OpenAPI document. Real HTTP on 127.0.0.1, real databases.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RECEIPT_TAG, type Receipt } from '../../../src/core/sync-api.js';
import { verifyDocument } from '../../../src/crypto/index.js';
import { exportLine } from '../../../src/journal/index.js';
import { enrolDevice } from '../../../src/sync/index.js';
import { LATEST_SERVER_SCHEMA, MAX_EVIDENCE_CHARS, secretHash, type ServerStorage } from '../../../src/server/index.js';
import { newJournal, type TestJournal } from './fixtures.js';
import { STORAGE_KINDS, startServer, useStorages, type TestServer } from './harness.js';

const storages = useStorages();

function expectReceipt(server: TestServer, receipt: unknown, journal: TestJournal, size: number): void {
  const r = receipt as Receipt;
  expect(r.key).toBe(server.key.publicKey);
  expect(r.body.journal).toBe(journal.id);
  expect(r.body.size).toBe(size);
  expect(r.body.head).toBe((JSON.parse(journal.lines[size - 1]!) as { hash: string }).hash);
  expect(verifyDocument(RECEIPT_TAG, r.body, r.sig, server.key.publicKey)).toBe(true);
  expect(verifyDocument(RECEIPT_TAG, { ...r.body, size: size + 1 }, r.sig, server.key.publicKey)).toBe(false);
}

/** What the server holds of a journal, as export lines. */
async function storedLines(storage: ServerStorage, journal: string): Promise<string[]> {
  const rows = await storage.entries(journal, 0, Number.MAX_SAFE_INTEGER);
  return rows.map((r) =>
    exportLine({ seq: r.seq, bytes: r.bytes, hash: Buffer.from(r.hash, 'base64url'), sig: Buffer.from(r.sig, 'base64url') }),
  );
}

describe.each(STORAGE_KINDS)('journal server on %s', (kind) => {
  let server: TestServer;
  let logs: string[];

  beforeAll(async () => {
    logs = [];
    server = await startServer(await storages.make(kind), {
      logger: { level: 'info', stream: { write: (line: string) => logs.push(line) } },
    });
    return () => server.close();
  });

  /** Enrols a new journal and returns it with its device credential. */
  async function enrolled(journal = newJournal()): Promise<{ journal: TestJournal; credential: string }> {
    const { token } = await server.token('enroll');
    const res = await server.request('POST', '/api/v1/enroll', {
      auth: token,
      body: { journal: journal.id, genesis: journal.lines[0], name: 'vault laptop' },
    });
    expect(res.status, res.text).toBe(201);
    expectReceipt(server, res.body['receipt'], journal, 1);
    expect(res.body['serverKey']).toBe(server.key.publicKey);
    return { journal, credential: res.body['credential'] as string };
  }

  const upload = (credential: string, journal: TestJournal, base: number, lines: readonly string[]) =>
    server.request('POST', `/api/v1/journals/${journal.id}/entries`, { auth: credential, body: { base, lines } });

  it('enrols a device with a one-time token, pinning its journal and genesis entry', async () => {
    const { journal, credential } = await enrolled();
    const head = await server.request('GET', `/api/v1/journals/${journal.id}/head`, { auth: credential });
    expect(head.status).toBe(200);
    expect(head.body).toEqual({ journal: journal.id, size: 1, head: JSON.parse(journal.lines[0]!).hash, frozen: false });
    expect(await storedLines(server.storage, journal.id)).toEqual(journal.lines);
    expect((await server.storage.journal(journal.id))!.genesisKey).toBe(journal.genesisKey);
  });

  it('refuses enrolment tokens that are used, expired, revoked or of the wrong role, and stores nothing', async () => {
    const before = (await server.storage.journals()).length;
    const used = await server.token('enroll');
    const first = newJournal();
    const body = (j: TestJournal) => ({ journal: j.id, genesis: j.lines[0], name: 'x' });
    expect((await server.request('POST', '/api/v1/enroll', { auth: used.token, body: body(first) })).status).toBe(201);
    const cases: [string, string, number][] = [];
    const reused = await server.request('POST', '/api/v1/enroll', { auth: used.token, body: body(newJournal()) });
    cases.push(['reused', (reused.body['error'] as { code: string }).code, reused.status]);
    const expired = await server.token('enroll', 1000);
    server.now += 2000;
    const exp = await server.request('POST', '/api/v1/enroll', { auth: expired.token, body: body(newJournal()) });
    cases.push(['expired', (exp.body['error'] as { code: string }).code, exp.status]);
    const revoked = await server.token('enroll');
    const admin = await server.token('admin');
    expect((await server.request('DELETE', `/api/v1/tokens/${revoked.id}`, { auth: admin.token })).status).toBe(200);
    const rev = await server.request('POST', '/api/v1/enroll', { auth: revoked.token, body: body(newJournal()) });
    cases.push(['revoked', (rev.body['error'] as { code: string }).code, rev.status]);
    const security = await server.token('security');
    const wrong = await server.request('POST', '/api/v1/enroll', { auth: security.token, body: body(newJournal()) });
    cases.push(['wrong role', (wrong.body['error'] as { code: string }).code, wrong.status]);
    const none = await server.request('POST', '/api/v1/enroll', { body: body(newJournal()) });
    cases.push(['none', (none.body['error'] as { code: string }).code, none.status]);
    const unknown = await server.request('POST', '/api/v1/enroll', { auth: 'bgt_' + 'A'.repeat(43), body: body(newJournal()) });
    cases.push(['unknown', (unknown.body['error'] as { code: string }).code, unknown.status]);
    // A live enrolment token in malformed Authorization headers (HTTP itself trims the value's ends):
    // each is refused as absent, and the token stays unused.
    const live = await server.token('enroll');
    for (const header of [
      `bearer ${live.token}`,
      `Basic ${live.token}`,
      `Bearer  ${live.token}`,
      `Bearer ${live.token}x`.padEnd(208, 'x'),
    ]) {
      const res = await fetch(`${server.url}/api/v1/enroll`, {
        method: 'POST',
        headers: { authorization: header, 'content-type': 'application/json' },
        body: JSON.stringify(body(newJournal())),
      });
      cases.push([`malformed ${header.slice(0, 7)}`, ((await res.json()) as { error: { code: string } }).error.code, res.status]);
    }
    expect(cases).toEqual([
      ['reused', 'TOKEN_USED', 401],
      ['expired', 'TOKEN_EXPIRED', 401],
      ['revoked', 'TOKEN_REVOKED', 401],
      ['wrong role', 'WRONG_ROLE', 403],
      ['none', 'UNAUTHENTICATED', 401],
      ['unknown', 'UNAUTHENTICATED', 401],
      ...['bearer ', 'Basic b', 'Bearer ', 'Bearer '].map((h) => [`malformed ${h}`, 'UNAUTHENTICATED', 401]),
    ]);
    expect((await server.storage.journals()).length).toBe(before + 1);
  });

  it('refuses a second enrolment of one journal and a genesis entry that does not verify', async () => {
    const { journal } = await enrolled();
    const again = await server.token('enroll');
    const dup = await server.request('POST', '/api/v1/enroll', {
      auth: again.token,
      body: { journal: journal.id, genesis: journal.lines[0], name: 'x' },
    });
    expect([dup.status, (dup.body['error'] as { code: string }).code]).toEqual([409, 'ALREADY_EXISTS']);
    const other = newJournal();
    const bad = await server.request('POST', '/api/v1/enroll', {
      auth: again.token,
      body: { journal: other.id, genesis: other.lines[0]!.replace('"vault"', '"vaulT"'), name: 'x' },
    });
    expect([bad.status, (bad.body['error'] as { code: string }).code]).toEqual([422, 'JOURNAL_REJECTED']);
    expect(await server.storage.journal(other.id)).toBeNull();
  });

  it('revokes a device (admin only): its credential is refused at once, and a fresh token enrols the journal again from what the server holds', async () => {
    const { journal, credential } = await enrolled();
    journal.commit(3);
    expect((await upload(credential, journal, 1, journal.lines.slice(1))).status).toBe(200);
    const device = (await server.storage.deviceByCredential(secretHash(credential)))!.id;
    const admin = await server.token('admin');
    const security = await server.token('security');
    const listed = await server.request('GET', '/api/v1/devices', { auth: security.token });
    expect(listed.status).toBe(200);
    expect((listed.body['devices'] as { id: string; revokedAt: unknown }[]).find((d) => d.id === device)).toMatchObject({
      journal: journal.id,
      revokedAt: null,
    });
    expect(listed.text).not.toContain(secretHash(credential));
    const codeOf = (r: { status: number; body: Record<string, unknown> }) => [r.status, (r.body['error'] as { code: string }).code];
    expect(codeOf(await server.request('DELETE', `/api/v1/devices/${device}`, { auth: security.token }))).toEqual([403, 'WRONG_ROLE']);
    expect(codeOf(await server.request('DELETE', '/api/v1/devices/d-00000000000000ff', { auth: admin.token }))).toEqual([404, 'NOT_FOUND']);
    expect(codeOf(await server.request('DELETE', '/api/v1/devices/nonsense', { auth: admin.token }))[0]).toBe(400);
    const revoked = await server.request('DELETE', `/api/v1/devices/${device}`, { auth: admin.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: device, journal: journal.id, revokedAt: server.now });

    journal.commit(1);
    const refused = await upload(credential, journal, 5, journal.lines.slice(5));
    expect(codeOf(refused)).toEqual([401, 'UNAUTHENTICATED']);
    expect((refused.body['error'] as { message: string }).message).toBe(
      `device ${device} has been revoked; the laptop syncs again once security gives it a new enrolment token (breakglass enroll --again)`,
    );
    expect((await server.storage.journal(journal.id))!.size).toBe(5);

    const unbound = await server.token('enroll');
    const genesisBody = { journal: journal.id, genesis: journal.lines[0], name: 'taken over' };
    const notBound = await server.request('POST', '/api/v1/enroll', { auth: unbound.token, body: genesisBody });
    expect(codeOf(notBound)).toEqual([403, 'WRONG_ROLE']);
    expect((notBound.body['error'] as { message: string }).message).toContain(`--role enroll --journal ${journal.id}`);
    const other = newJournal();
    const forOther = await server.token('enroll', 3_600_000, other.id);
    expect(codeOf(await server.request('POST', '/api/v1/enroll', { auth: forOther.token, body: genesisBody }))).toEqual([
      403,
      'WRONG_DEVICE',
    ]);
    // Neither refusal spent its token: the unbound one still enrols a new journal.
    expect(
      (
        await server.request('POST', '/api/v1/enroll', {
          auth: unbound.token,
          body: { journal: other.id, genesis: other.lines[0], name: 'new' },
        })
      ).status,
    ).toBe(201);
    expect((await server.storage.deviceByCredential(secretHash(credential)))!.revokedAt).not.toBeNull();
    const { token } = await server.token('enroll', 3_600_000, journal.id);
    const again = await server.request('POST', '/api/v1/enroll', {
      auth: token,
      body: { journal: journal.id, genesis: journal.lines[0], name: 'vault laptop, again' },
    });
    expect(again.status, again.text).toBe(201);
    expect(again.body['device']).toBe(device);
    expectReceipt(server, again.body['receipt'], journal, 5);
    const fresh = again.body['credential'] as string;
    expect(fresh).not.toBe(credential);
    expect(codeOf(await upload(credential, journal, 5, journal.lines.slice(5)))).toEqual([401, 'UNAUTHENTICATED']);
    expect((await upload(fresh, journal, 5, journal.lines.slice(5))).status).toBe(200);
    expect(await storedLines(server.storage, journal.id)).toEqual(journal.lines);
    const reused = await server.request('POST', '/api/v1/enroll', {
      auth: token,
      body: { journal: journal.id, genesis: journal.lines[0], name: 'x' },
    });
    expect(codeOf(reused)).toEqual([401, 'TOKEN_USED']);
  });

  it('a vault enrolling again from a copy that does not lead to what the server holds is told so (SYNC_CONFLICT), not that the server misreports', async () => {
    const { journal, credential } = await enrolled();
    const copy = journal.fork(); // the vault folder as a backup held it
    journal.commit(3);
    copy.commit(5); // ... restored and used, past the length the server holds
    expect((await upload(credential, journal, 1, journal.lines.slice(1))).status).toBe(200);
    const device = (await server.storage.deviceByCredential(secretHash(credential)))!.id;
    const admin = await server.token('admin');
    const again = async (lines: readonly string[]) => {
      const { token } = await server.token('enroll', 3_600_000, journal.id);
      expect((await server.request('DELETE', `/api/v1/devices/${device}`, { auth: admin.token })).status).toBe(200);
      const input = { token, journal: journal.id, genesisLine: lines[0]!, name: 'again', expectServerKey: server.key.publicKey, lines };
      return enrolDevice({ server: server.url }, input, { attempts: 1 }).then(
        () => null,
        (err: { code: string; message: string }) => ({ code: err.code, message: err.message }),
      );
    };
    const tail = 'is this an older copy of the vault folder, restored and used\\? The server enrolled device';
    expect(await again(copy.lines)).toEqual({
      code: 'SYNC_CONFLICT',
      message: expect.stringMatching(
        new RegExp(`^the server's entry 4 of journal ${journal.id} is not this vault's: ${tail} ${device} again`),
      ),
    });
    expect(await again(journal.lines.slice(0, 2))).toEqual({
      code: 'SYNC_CONFLICT',
      message: expect.stringMatching(new RegExp(`^the server holds 5 entries of journal ${journal.id} and this vault only 2: ${tail}`)),
    });
    expect(await again(journal.lines)).toBeNull();
  });

  it('stores verified batches entry for entry, with a receipt for each', async () => {
    const { journal, credential } = await enrolled();
    for (let i = 0; i < 20; i++) journal.commit(1 + (i % 4));
    let base = 1;
    while (base < journal.lines.length) {
      const lines = journal.lines.slice(base, base + 17);
      const res = await upload(credential, journal, base, lines);
      expect(res.status, res.text).toBe(200);
      expect(res.body['accepted']).toBe(lines.length);
      base += lines.length;
      expectReceipt(server, res.body['receipt'], journal, base);
    }
    expect(await storedLines(server.storage, journal.id)).toEqual(journal.lines);
  });

  it('treats a re-sent batch as a no-op, also when two copies arrive at once', async () => {
    const { journal, credential } = await enrolled();
    const batch = journal.commit(5);
    const [a, b] = await Promise.all([upload(credential, journal, 1, batch), upload(credential, journal, 1, batch)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body['accepted'], b.body['accepted']].sort()).toEqual([0, 6]);
    const again = await upload(credential, journal, 1, batch);
    expect([again.status, again.body['accepted'], again.body['duplicates']]).toEqual([200, 0, 6]);
    expectReceipt(server, again.body['receipt'], journal, 7);
    expect(await storedLines(server.storage, journal.id)).toEqual(journal.lines);
  });

  it('answers a gap or a stale base with 409 and the head, storing nothing', async () => {
    const { journal, credential } = await enrolled();
    const first = journal.commit(2);
    const second = journal.commit(2);
    const gap = await upload(credential, journal, 1 + first.length, second);
    expect(gap.status).toBe(409);
    expect(gap.body['error']).toMatchObject({ code: 'SYNC_CONFLICT', details: { size: 1 } });
    expect((await upload(credential, journal, 1, first)).status).toBe(200);
    const stale = await upload(credential, journal, 1, [...first, ...second]);
    expect(stale.status).toBe(409);
    expect(stale.body['error']).toMatchObject({ code: 'SYNC_CONFLICT', details: { size: 1 + first.length } });
    expect(await storedLines(server.storage, journal.id)).toEqual(journal.lines.slice(0, 1 + first.length));
  });

  it('rejects a tampered batch whole with the first bad seq and code, keeping it as evidence', async () => {
    const { journal, credential } = await enrolled();
    const good = journal.commit(3);
    expect((await upload(credential, journal, 1, good)).status).toBe(200);
    const batch = journal.commit(4);
    const base = 1 + good.length;
    const tamper: [string, string[], number, string][] = [
      ['changed data', batch.map((l, i) => (i === 2 ? l.replace('"n":', '"m":') : l)), base + 2, 'TAMPER'],
      [
        'bad signature',
        batch.map((l, i) => (i === 1 ? l.replace(/"sig":"(.)/, (_m, c) => `"sig":"${c === 'A' ? 'B' : 'A'}`) : l)),
        base + 1,
        'BAD_SIGNATURE',
      ],
      ['reordered', [batch[0]!, batch[2]!, batch[1]!, ...batch.slice(3)], base + 1, 'GAP'],
      ['dropped', [batch[0]!, ...batch.slice(2)], base + 1, 'GAP'],
      ['whitespace', batch.map((l, i) => (i === 0 ? l.replace('{"entry":', '{ "entry":') : l)), base, 'TAMPER'],
      ['foreign entry', [newJournal().commit(1)[0]!], base, 'CHAIN_BREAK'],
      ['not json', ['{"entry":'], base, 'TAMPER'],
    ];
    const results = [];
    for (const [name, lines] of tamper) {
      const res = await upload(credential, journal, base, lines);
      const e = res.body['error'] as { code: string; details: { seq: number; failure: string } };
      results.push([name, res.status, e.code, e.details.seq, e.details.failure]);
    }
    expect(results).toEqual(tamper.map(([name, , seq, code]) => [name, 422, 'JOURNAL_REJECTED', seq, code]));
    expect(await storedLines(server.storage, journal.id)).toEqual(journal.lines.slice(0, base));
    const kept = await server.storage.rejections(journal.id);
    expect(kept.map((r) => [r.seq, r.code])).toEqual(tamper.map(([, , seq, code]) => [seq, code]));
    expect(kept[0]!.evidence).toBe(tamper[0]![1].join('\n'));
    // The genuine batch still goes in afterwards.
    expect((await upload(credential, journal, base, batch)).status).toBe(200);
  });

  it('keeps a large rejected batch truncated to the evidence bound', async () => {
    const { journal, credential } = await enrolled();
    const lines = journal.commit(150, 'credential.reveal', undefined, { pad: 'x'.repeat(2000) });
    const tampered = [...lines.slice(0, -1), lines[lines.length - 1]!.replace('"vault"', '"vaulT"')];
    const res = await upload(credential, journal, 1, tampered);
    expect(res.body['error']).toMatchObject({ code: 'JOURNAL_REJECTED', details: { seq: lines.length, failure: 'TAMPER' } });
    const [kept] = await server.storage.rejections(journal.id);
    expect(kept).toMatchObject({ truncated: true, lineCount: lines.length, seq: lines.length });
    expect(kept!.evidence).toBe(tampered.join('\n').slice(0, MAX_EVIDENCE_CHARS));
    expect((await server.storage.journal(journal.id))!.size).toBe(1);
  });

  it('detects a fork (a different valid entry at a known seq), keeps both and freezes the journal', async () => {
    const { journal, credential } = await enrolled();
    expect((await upload(credential, journal, 1, journal.commit(2))).status).toBe(200);
    const older = journal.fork();
    const newer = journal.commit(2);
    expect((await upload(credential, journal, 4, newer)).status).toBe(200);
    const divergent = older.commit(3);
    const res = await upload(credential, older, 4, divergent);
    expect(res.status).toBe(409);
    expect(res.body['error']).toMatchObject({ code: 'JOURNAL_FORKED', details: { seq: 4 } });
    const forks = await server.storage.forks(journal.id);
    expect(forks.map((f) => [f.seq, f.offeredLine])).toEqual([[4, divergent[0]]]);
    expect(forks[0]!.storedHash).toBe(JSON.parse(newer[0]!).hash);
    const head = await server.request('GET', `/api/v1/journals/${journal.id}/head`, { auth: credential });
    expect(head.body['frozen']).toBe(true);
    const more = await upload(credential, journal, journal.lines.length, journal.commit(1));
    expect((more.body['error'] as { code: string }).code).toBe('JOURNAL_FROZEN');
    expect(await storedLines(server.storage, journal.id)).toEqual(journal.lines.slice(0, 7));
  });

  it('records cross-references that name another hash than the named journal holds, in either order', async () => {
    const requester = await enrolled();
    const request = requester.journal.commit(1, 'request.create');
    const anchor = (hash: string) => ({ anchor: { journal: requester.journal.id, seq: 1, hash } });
    const right = JSON.parse(request[0]!).hash as string;
    const wrong = JSON.parse(request[1]!).hash as string;
    // Holders upload before the requester: nothing to compare yet.
    const honest = await enrolled();
    const liar = await enrolled();
    expect(
      (await upload(honest.credential, honest.journal, 1, honest.journal.commit(1, 'approval.give', undefined, anchor(right)))).status,
    ).toBe(200);
    expect((await upload(liar.credential, liar.journal, 1, liar.journal.commit(1, 'approval.give', undefined, anchor(wrong)))).status).toBe(
      200,
    );
    expect(await server.storage.anchorMismatches(requester.journal.id)).toEqual([]);
    // The requester's journal arrives: the liar's anchor is found out.
    expect((await upload(requester.credential, requester.journal, 1, request)).status).toBe(200);
    // And a holder uploading after the requester is checked at once.
    const late = await enrolled();
    expect((await upload(late.credential, late.journal, 1, late.journal.commit(1, 'approval.give', undefined, anchor(wrong)))).status).toBe(
      200,
    );
    const found = await server.storage.anchorMismatches(requester.journal.id);
    expect(found.map((m) => [m.journal, m.kind, m.targetSeq, m.namedHash, m.heldHash]).sort()).toEqual(
      [
        [liar.journal.id, 'approval.give', 1, wrong, right],
        [late.journal.id, 'approval.give', 1, wrong, right],
      ].sort(),
    );
    expect((await server.storage.anchors(honest.journal.id)).map((a) => [a.targetJournal, a.targetSeq, a.targetHash])).toEqual([
      [requester.journal.id, 1, right],
    ]);
  });

  it("refuses a device writing or reading another device's journal", async () => {
    const a = await enrolled();
    const b = await enrolled();
    const res = await upload(a.credential, b.journal, 1, b.journal.commit(1));
    expect([res.status, (res.body['error'] as { code: string }).code]).toEqual([403, 'WRONG_DEVICE']);
    const head = await server.request('GET', `/api/v1/journals/${b.journal.id}/head`, { auth: a.credential });
    expect(head.status).toBe(403);
    const token = await server.token('admin');
    const asToken = await upload(token.token, b.journal, 1, b.journal.lines.slice(1));
    expect([asToken.status, (asToken.body['error'] as { code: string }).code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await server.storage.journal(b.journal.id))!.size).toBe(1);
  });

  it('refuses malformed, oversized, unknown-field and wrongly typed bodies with precise codes, changing nothing', async () => {
    const { journal, credential } = await enrolled();
    const path = `/api/v1/journals/${journal.id}/entries`;
    const line = journal.commit(1)[0]!;
    const cases: [string, Parameters<TestServer['request']>[2], number, string][] = [
      ['malformed JSON', { raw: '{"base":1,"lines":[' }, 400, 'MALFORMED_BODY'],
      ['unknown field', { body: { base: 1, lines: [line], extra: true } }, 400, 'BAD_INPUT'],
      ['wrong type', { body: { base: '1', lines: [line] } }, 400, 'BAD_INPUT'],
      ['text/plain', { raw: JSON.stringify({ base: 1, lines: [line] }), type: 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['too many lines', { body: { base: 1, lines: Array(1001).fill(line) } }, 413, 'TOO_MANY_LINES'],
      ['oversized', { body: { base: 1, lines: Array(200).fill('x'.repeat(60_000)) } }, 413, 'PAYLOAD_TOO_LARGE'],
      ['proto pollution', { raw: '{"base":1,"lines":[],"__proto__":{"x":1}}' }, 400, 'MALFORMED_BODY'],
    ];
    const results = [];
    for (const [name, options, ,] of cases) {
      const res = await server.request('POST', path, { auth: credential, ...options });
      results.push([name, res.status, (res.body['error'] as { code: string } | undefined)?.code]);
      expect(Object.keys(res.body)).toEqual(['error']);
    }
    expect(results).toEqual(cases.map(([name, , status, code]) => [name, status, code]));
    const badId = await server.request('GET', '/api/v1/journals/not-a-journal/head', { auth: credential });
    expect([badId.status, (badId.body['error'] as { code: string }).code]).toEqual([400, 'BAD_INPUT']);
    const noRoute = await server.request('GET', '/api/v1/nothing');
    expect([noRoute.status, (noRoute.body['error'] as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    expect((await server.storage.journal(journal.id))!.size).toBe(1);
  });

  it('issues tokens through the admin API only', async () => {
    const admin = await server.token('admin');
    const res = await server.request('POST', '/api/v1/tokens', { auth: admin.token, body: { role: 'enroll', ttlSeconds: 600 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ role: 'enroll', expiresAt: server.now + 600_000 });
    const enroll = res.body['token'] as string;
    const byEnroll = await server.request('POST', '/api/v1/tokens', { auth: enroll, body: { role: 'admin' } });
    expect([byEnroll.status, (byEnroll.body['error'] as { code: string }).code]).toEqual([403, 'WRONG_ROLE']);
    const j = newJournal();
    const ok = await server.request('POST', '/api/v1/enroll', { auth: enroll, body: { journal: j.id, genesis: j.lines[0], name: 'x' } });
    expect(ok.status).toBe(201);
  });

  it('serves health, readiness, metrics and the OpenAPI document, and logs no token', async () => {
    expect((await server.request('GET', '/healthz')).body).toEqual({ ok: true });
    expect((await server.request('GET', '/readyz')).body).toEqual({ ok: true, storage: kind, schema: LATEST_SERVER_SCHEMA });
    const metrics = await server.request('GET', '/metrics');
    expect(metrics.text).toMatch(/breakglass_entries_accepted_total \d+/);
    expect(metrics.text).toMatch(/breakglass_forks_total 1/);
    expect(metrics.text).toMatch(/breakglass_entries_rejected_total\{code="TAMPER"\} \d+/);
    expect(metrics.text).toMatch(/breakglass_journals \d+/);
    expect(metrics.text).toMatch(/breakglass_journal_last_sync_age_seconds\{journal="j-/);
    const doc = await server.request('GET', '/openapi.json');
    const paths = doc.body['paths'] as Record<string, Record<string, { requestBody?: unknown }>>;
    expect(Object.keys(paths).sort()).toEqual([
      '/api/v1/devices',
      '/api/v1/devices/{id}',
      '/api/v1/enroll',
      '/api/v1/journals/{id}/entries',
      '/api/v1/journals/{id}/head',
      '/api/v1/tokens',
      '/api/v1/tokens/{id}',
      '/healthz',
      '/readyz',
    ]);
    expect(JSON.stringify(paths['/api/v1/journals/{id}/entries']!['post']!.requestBody)).toContain('"maxItems":1000');
    expect(logs.length).toBeGreaterThan(10);
    const parsed = logs.map((l) => JSON.parse(l) as { reqId?: string });
    expect(parsed.some((l) => typeof l.reqId === 'string')).toBe(true);
    expect(logs.join('\n')).not.toMatch(/bg[td]_[A-Za-z0-9_-]{20}/);
  });
});
