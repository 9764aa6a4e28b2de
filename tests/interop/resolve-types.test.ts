// Every record type resolve formats beyond RFC 1035, served by NSD from
// tests/fixtures/dns/types.zone-lines: `--short` must equal `dig +short`, type by type.
// NSEC3 (which NSD serves only from a signed zone) comes from a server written here,
// with dig as the reference too.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { startNsd, type NsdPeer } from './peers/nsd.js';
import { startRecordingDnsServer, type RecordingDnsServer } from '../helpers/dns-server.js';

const execFileAsync = promisify(execFile);
const LINES = readFileSync(fileURLToPath(new URL('../fixtures/dns/types.zone-lines', import.meta.url)), 'utf8');

/** NSEC3 1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG, on the wire. */
function nsec3Bytes(): Buffer {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUV';
  let bits = 0;
  let value = 0;
  const hash: number[] = [];
  for (const ch of '2T7B4G4VSA5SMI47K61MV5BV1A22BOJR') {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      hash.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const bitmap = Buffer.alloc(6);
  bitmap[0] = 0x40; // A (1)
  bitmap[5] = 0x02; // RRSIG (46)
  return Buffer.concat([Buffer.from([1, 1, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd, hash.length]), Buffer.from(hash), Buffer.from([0, 6]), bitmap]);
}

describeWithPeers('record types beyond RFC 1035: --short equals dig +short (NSD)', ['nsd', 'nsd-checkconf', 'dig'], () => {
  let nsd: NsdPeer;
  let nsec3: RecordingDnsServer;

  beforeAll(async () => {
    nsd = await startNsd({ extraZoneLines: `\n${LINES}` });
    nsec3 = await startRecordingDnsServer({
      answer: (query) => {
        const q = query.questions[0]!;
        const data = { kind: 'RAW' as const, bytes: nsec3Bytes() };
        return { ...query, qr: true, aa: true, rcode: 0, answers: [{ name: q.name, type: 50, class: 1, ttl: 300, data }], authorities: [], additionals: [] };
      },
    });
  }, 30000);

  afterAll(async () => {
    await nsd?.stop();
    await nsec3?.close();
  });

  async function both(name: string, type: string, port: number): Promise<[string, string]> {
    const [{ stdout: theirs }, ours] = await Promise.all([
      execFileAsync('dig', ['@127.0.0.1', '-p', String(port), name, type, '+short', '+time=5']),
      runSockkit(['resolve', name, '@127.0.0.1', '-p', String(port), '--type', type, '--short']),
    ]);
    expect(ours.stderr).toBe('');
    expect(ours.code).toBe(0);
    return [ours.stdout, theirs];
  }

  test.each([
    ['types', 'DNSKEY'], ['types', 'DS'], ['types', 'CDS'], ['types', 'CDNSKEY'], ['types', 'RRSIG'], ['types', 'NSEC'],
    ['types', 'NSEC3PARAM'], ['_443._tcp.types', 'TLSA'], ['types', 'SSHFP'], ['types', 'HTTPS'], ['types', 'SVCB'],
    ['types', 'NAPTR'], ['types', 'URI'], ['types', 'HINFO'], ['types', 'LOC'], ['dname-types', 'DNAME'],
  ])('%s %s', async (label, type) => {
    const [ours, theirs] = await both(`${label}.sockkit.test`, type, nsd.port);
    expect(theirs).not.toBe(''); // the record is there
    expect(ours).toBe(theirs);
  });

  test('NSEC3 (from a server written here)', async () => {
    const [ours, theirs] = await both('2t7b4g4vsa5smi47k61mv5bv1a22bojr.sockkit.test', 'NSEC3', nsec3.port);
    expect(theirs).toBe('1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG\n');
    expect(ours).toBe(theirs);
  });
});
