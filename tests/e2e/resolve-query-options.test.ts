// What a query says besides its question (header bits, class, EDNS and its options),
// read back by a server written here; and what resolve makes of a reply's cookie and
// Extended DNS Errors.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runSockkit } from '../helpers/run-sockkit.js';
import { startRecordingDnsServer, type Answerer, type RecordingDnsServer } from '../helpers/dns-server.js';
import { RecordType, type DnsMessage, type EdnsOption } from '../../src/net/dns/packet.js';

function optRecord(options: Buffer) {
  return { name: '.', type: RecordType.OPT, class: 1232, ttl: 0, data: { kind: 'RAW' as const, bytes: options } };
}

function optionBytes(code: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([code >> 8, code & 0xff, data.length >> 8, data.length & 0xff]), data]);
}

/** Replies with an A record, and with `extra` EDNS options built from the query's. */
function answering(extra: (query: DnsMessage) => Buffer, rcode = 0): Answerer {
  return (query) => {
    const q = query.questions[0]!;
    const answers = rcode === 0 ? [{ name: q.name, type: RecordType.A, class: 1, ttl: 5, data: { kind: 'A' as const, address: '192.0.2.7' } }] : [];
    return { ...query, qr: true, rcode, answers, authorities: [], additionals: [optRecord(extra(query))] };
  };
}

const optionOf = (query: DnsMessage, code: number): EdnsOption | undefined => query.edns?.options?.find((o) => o.code === code);

describe('resolve: the query as the server reads it', () => {
  let server: RecordingDnsServer;
  beforeAll(async () => {
    server = await startRecordingDnsServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function lastQuery(args: string[]): Promise<DnsMessage> {
    server.queries.length = 0;
    const r = await runSockkit(['resolve', 'q.test', `@127.0.0.1:${server.port}`, '--type', 'A', ...args]);
    expect(r.stderr).toBe('');
    return server.queries.at(-1)!;
  }

  test('by default: RD, no AD or CD, class IN, EDNS with a 1232-byte payload and no options', async () => {
    const q = await lastQuery([]);
    expect(q).toMatchObject({ rd: true, ad: false, cd: false, questions: [{ name: 'q.test.', type: 1, class: 1 }] });
    expect(q.edns).toEqual({ udpPayload: 1232, version: 0, extendedRcode: 0 });
  });

  test('--no-recurse, --cd, --ad set the header bits; --bufsize the payload', async () => {
    const q = await lastQuery(['--no-recurse', '--cd', '--ad', '--bufsize', '4096']);
    expect(q).toMatchObject({ rd: false, ad: true, cd: true });
    expect(q.edns!.udpPayload).toBe(4096);
  });

  test('--no-edns: no OPT record at all', async () => {
    const q = await lastQuery(['--no-edns']);
    expect(q.edns).toBeUndefined();
    expect(q.additionals).toEqual([]);
  });

  test('--class CH asks class 3', async () => {
    server.queries.length = 0;
    await runSockkit(['resolve', 'version.bind', `@127.0.0.1:${server.port}`, '--type', 'TXT', '--class', 'CH']);
    expect(server.queries[0]!.questions).toEqual([{ name: 'version.bind.', type: 16, class: 3 }]);
  });

  test('--nsid, --ecs, --cookie: the options on the wire (RFC 5001, 7871, 7873)', async () => {
    const q = await lastQuery(['--nsid', '--ecs', '198.51.100.77/20', '--cookie']);
    expect(optionOf(q, 3)!.data).toEqual(Buffer.alloc(0));
    expect(optionOf(q, 8)!.data).toEqual(Buffer.from([0, 1, 20, 0, 198, 51, 96])); // family 1, /20, scope 0, address cut to 20 bits
    expect(optionOf(q, 10)!.data).toHaveLength(8);
  });

  test('--padding pads to 128-byte blocks; over UDP it is off without the flag', async () => {
    server.queries.length = 0;
    const names = ['a.test', `${'b'.repeat(60)}.test`, `${'c'.repeat(63)}.${'d'.repeat(63)}.test`];
    const padded = await runSockkit(['resolve', ...names, `@127.0.0.1:${server.port}`, '--type', 'A', '--padding', '--json']);
    expect(padded.code).toBe(0);
    expect(server.queries).toHaveLength(3);
    for (const q of server.queries) expect(optionOf(q, 12)).toBeDefined();
    server.queries.length = 0;
    await runSockkit(['resolve', 'a.test', `@127.0.0.1:${server.port}`, '--type', 'A']);
    expect(optionOf(server.queries[0]!, 12)).toBeUndefined();
  });

  test('--no-edns with an EDNS option is a usage error', async () => {
    const r = await runSockkit(['resolve', 'q.test', `@127.0.0.1:${server.port}`, '--no-edns', '--nsid']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--no-edns with --nsid: those are EDNS options/);
  });

  test('bad --ecs and --class are usage errors', async () => {
    for (const [flag, value, why] of [['--ecs', '192.0.2.0', /expected ADDRESS\/PREFIX/], ['--ecs', '192.0.2.0/33', /expected ADDRESS\/PREFIX/], ['--class', 'XX', /expected IN, CH, HS/]] as const) {
      const r = await runSockkit(['resolve', 'q.test', `@127.0.0.1:${server.port}`, flag, value]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
    }
  });
});

describe("resolve: a reply's cookie, NSID and Extended DNS Errors", () => {
  let servers: RecordingDnsServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  async function serve(answer: Answerer): Promise<string> {
    const s = await startRecordingDnsServer({ answer });
    servers.push(s);
    return `127.0.0.1:${s.port}`;
  }

  test("the server's cookie and NSID are shown (JSON edns.options)", async () => {
    const where = await serve(
      answering((q) => Buffer.concat([optionBytes(10, Buffer.concat([optionOf(q, 10)!.data, Buffer.from('0123456789abcdef', 'hex')])), optionBytes(3, Buffer.from('ns-7'))])),
    );
    const r = await runSockkit(['resolve', 'c.test', `@${where}`, '--type', 'A', '--cookie', '--nsid', '--json']);
    expect(r.code).toBe(0);
    const [row] = JSON.parse(r.stdout) as Array<{ edns: { options: Array<{ name: string; value: string }> } }>;
    expect(row!.edns.options).toContainEqual({ name: 'COOKIE', value: expect.stringMatching(/^[0-9a-f]{16} \(server 0123456789abcdef\)$/) });
    expect(row!.edns.options).toContainEqual({ name: 'NSID', value: '6e732d37 ("ns-7")' });
  });

  test('a reply echoing another client cookie is not ours: ignored, so the question times out (exit 5)', async () => {
    const where = await serve(answering(() => optionBytes(10, Buffer.from('1111111111111111', 'hex'))));
    const r = await runSockkit(['resolve', 'c.test', `@${where}`, '--type', 'A', '--cookie', '--timeout', '1', '--trace']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/ignore\s+the reply echoes client cookie 1111111111111111, not ours/);
    expect(r.stdout).not.toMatch(/192\.0\.2\.7/);
  });

  test('SERVFAIL with an Extended DNS Error: the error code, its name and the text, with the failure', async () => {
    const ede = Buffer.concat([Buffer.from([0, 22]), Buffer.from('no reachable authority at 192.0.2.53')]);
    const where = await serve(answering(() => optionBytes(15, ede), 2));
    const r = await runSockkit(['resolve', 'f.test', `@${where}`, '--type', 'A']);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/\tSERVFAIL \(EDE 22 \(No Reachable Authority\): no reachable authority at 192\.0\.2\.53\)\t/);
  });
});
