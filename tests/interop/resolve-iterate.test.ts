// `resolve --iterate` against a tree of NSD servers of the test's own (peers/iterate-hierarchy.ts:
// the root on 127.0.0.2, test. on .3, the leaves on .4 and .5, every one on the same port,
// which -p names), compared with `dig +trace @127.0.0.2 -p PORT`: the same servers asked
// for the same zones, the same final records. Then what dig +trace does not do (CNAMEs
// out of a zone, a glueless name server, DNSSEC along the way) and what must end cleanly:
// a loop of glueless delegations, lame servers, and a hostile server written here.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSocket } from 'node:dgram';
import { describeWithPeers } from '../helpers/peers.js';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { inSandbox, withResolvConf } from '../helpers/sandbox.js';
import { startRecordingDnsServer, type RecordingDnsServer } from '../helpers/dns-server.js';
import { RecordType, type DnsMessage, type DnsRecord } from '../../src/net/dns/packet.js';
import { ADDRESSES, startIterateHierarchy, type IterateHierarchy } from './peers/iterate-hierarchy.js';

const execFileAsync = promisify(execFile);

interface Step {
  question: string;
  zone: string;
  server: string;
  address: string;
  outcome: string;
  detail: string;
  depth: number;
  timeMs: number;
}
interface Result {
  name: string;
  type: string;
  status: string;
  error?: string;
  server: string;
  security?: string;
  securityReason?: string;
  answers: Array<{ name: string; type: string; ttl: number; value: string }>;
  steps: Step[];
}

describeWithPeers('resolve --iterate against a tree of NSD servers (compared with dig +trace)', ['nsd', 'ldns-keygen', 'ldns-signzone', 'ldns-key2ds', 'dig'], () => {
  let h: IterateHierarchy;

  beforeAll(async () => {
    h = await startIterateHierarchy();
  }, 60000);

  afterAll(async () => {
    await h?.stop();
  });

  const base = () => ['--iterate', '--root-hints', h.rootHintsFile, '-p', String(h.port)];

  async function iterate(name: string, type: string, extra: string[] = []) {
    const timeout = extra.includes('--timeout') ? [] : ['--timeout', '2'];
    const r = await runSockkit(['resolve', name, '-t', type, ...base(), '--json', ...timeout, ...extra], { killAfterMs: 60000 });
    return { code: r.code, stderr: r.stderr, result: (JSON.parse(r.stdout || '[{}]') as Result[])[0]! };
  }

  /** dig +trace's blocks: the records printed, and the server (address) that sent them. */
  async function digTrace(name: string, type: string): Promise<Array<{ from: string; records: string[][] }>> {
    // dig looks up the servers' names through the system resolver: an /etc/hosts of this tree's names (in the sandbox only)
    const hosts = join(h.dir, 'hosts');
    writeFileSync(hosts, `${ADDRESSES.root} ns1\n${ADDRESSES.tld} ns.test\n${ADDRESSES.leaf} ns.sockkit.test\n${ADDRESSES.noglue} ns2.sockkit.test\n`);
    const resolv = join(h.dir, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 127.0.0.53\n');
    const [file, args] = withResolvConf(resolv, 'dig', ['+trace', '+nodnssec', `@${ADDRESSES.root}`, '-p', String(h.port), name, type], hosts);
    const { stdout } = await execFileAsync(file, args, { timeout: 20000 });
    const blocks: Array<{ from: string; records: string[][] }> = [];
    let records: string[][] = [];
    for (const line of stdout.split('\n')) {
      const received = /^;; Received \d+ bytes from ([\d.]+)#(\d+)/.exec(line);
      if (received) {
        blocks.push({ from: `${received[1]}:${received[2]}`, records });
        records = [];
      } else if (line !== '' && !line.startsWith(';')) {
        records.push(line.split(/\s+/));
      }
    }
    return blocks;
  }

  /** The walk as dig shows it: the server asked and the zone it was asked as a server of, then the final records. */
  function digWalk(blocks: Array<{ from: string; records: string[][] }>) {
    const walk = blocks.slice(1).map((b, i) => ({ address: b.from, zone: i === 0 ? '.' : blocks[i]!.records.find((r) => r[3] === 'NS')![0]! }));
    return { walk, last: blocks.at(-1)!.records };
  }

  const runsDig = inSandbox() ? test : test.skip;

  runsDig.each([
    ['www.sockkit.test', 'A'],
    ['www.sockkit.test', 'AAAA'],
    ['mail.sockkit.test', 'MX'],
    ['alias.sockkit.test', 'A'],
  ])('%s %s: the servers and zones dig +trace visits, and its final records', async (name, type) => {
    const [ours, dig] = await Promise.all([iterate(name, type), digTrace(name, type)]);
    expect(ours.code).toBe(0);
    const { walk, last } = digWalk(dig);
    // dig +trace skips a server that does not answer; it shows no step for it
    const answered = ours.result.steps.filter((s) => s.outcome !== 'skipped');
    expect(answered.map((s) => ({ address: s.address, zone: s.zone }))).toEqual(walk);
    const finalRecords = last.filter((r) => r[3] === type || r[3] === 'CNAME').map((r) => [r[0], r[3], r.slice(4).join(' ')]);
    expect(ours.result.answers.map((a) => [a.name, a.type, a.value])).toEqual(finalRecords);
    expect(ours.result.server).toBe(walk.at(-1)!.address);
  }, 30000);

  runsDig('an NXDOMAIN: the same walk as dig +trace, the denial from the leaf zone, exit 3', async () => {
    const [ours, dig] = await Promise.all([iterate('nope.sockkit.test', 'A'), digTrace('nope.sockkit.test', 'A')]);
    expect(ours.code).toBe(3);
    expect(ours.result.status).toBe('nxdomain');
    const { walk, last } = digWalk(dig);
    expect(ours.result.steps.map((s) => ({ address: s.address, zone: s.zone }))).toEqual(walk);
    expect(last.find((r) => r[3] === 'SOA')?.[0]).toBe('sockkit.test.');
    expect(ours.result.steps.at(-1)).toMatchObject({ outcome: 'nxdomain', detail: 'NXDOMAIN (SOA of sockkit.test.)' });
  }, 30000);

  test('the walk goes root → test. → sockkit.test., each referral naming the next servers and their glue', async () => {
    const { code, result } = await iterate('www.sockkit.test', 'A');
    expect(code).toBe(0);
    const port = String(h.port);
    expect(result.steps.map((s) => [s.zone, s.server, s.address, s.outcome, s.detail])).toEqual([
      ['.', 'ns1.', `127.0.0.2:${port}`, 'referral', 'test. NS ns.test. (127.0.0.3)'],
      ['test.', 'ns.test.', `127.0.0.3:${port}`, 'referral', 'sockkit.test. NS ns.sockkit.test. (127.0.0.4)'],
      ['sockkit.test.', 'ns.sockkit.test.', `127.0.0.4:${port}`, 'answer', 'A 192.0.2.10'],
    ]);
  });

  test('a CNAME into another zone: a new walk for the target, both records in the answer', async () => {
    const { code, result } = await iterate('cross.sockkit.test', 'A');
    expect(code).toBe(0);
    expect(result.answers.map((a) => [a.name, a.type, a.value])).toEqual([
      ['cross.sockkit.test.', 'CNAME', 'www.noglue.test.'],
      ['www.noglue.test.', 'A', '192.0.2.30'],
    ]);
    const top = result.steps.filter((s) => s.depth === 0);
    expect(top.map((s) => [s.question, s.zone, s.outcome])).toEqual([
      ['A cross.sockkit.test.', '.', 'referral'],
      ['A cross.sockkit.test.', 'test.', 'referral'],
      ['A cross.sockkit.test.', 'sockkit.test.', 'cname'],
      // the target's walk starts at the deepest zone already known (test.), not at the root again
      ['A www.noglue.test.', 'test.', 'referral'],
      ['A www.noglue.test.', 'noglue.test.', 'answer'],
    ]);
  });

  test('a name server without glue, out of the zone it serves: looked up by the walk itself, not the system resolver', async () => {
    // the system resolver of the sandbox answers nothing: a look-up through it would fail the walk
    const { code, result } = await iterate('www.noglue.test', 'A');
    expect(code).toBe(0);
    expect(result.answers.map((a) => a.value)).toEqual(['192.0.2.30']);
    expect(result.steps.map((s) => [s.depth, s.question, s.zone, s.address.replace(/:\d+$/, ''), s.outcome])).toEqual([
      [0, 'A www.noglue.test.', '.', '127.0.0.2', 'referral'],
      [0, 'A www.noglue.test.', 'test.', '127.0.0.3', 'referral'],
      [1, 'A ns2.sockkit.test.', 'test.', '127.0.0.3', 'referral'],
      [1, 'A ns2.sockkit.test.', 'sockkit.test.', '127.0.0.4', 'answer'],
      [0, 'A www.noglue.test.', 'noglue.test.', '127.0.0.5', 'answer'],
    ]);
    expect(result.steps[1]!.detail).toBe('noglue.test. NS ns2.sockkit.test. (no glue)');
  });

  test('two zones whose name servers are each in the other: a referral loop, exit 7 with one clear line', async () => {
    const started = Date.now();
    const { code, result } = await iterate('www.loop1.test', 'A');
    expect(code).toBe(7);
    expect(result.status).toBe('error');
    expect(result.error).toBe('referral loop: the address of each name server needs the next: ns.loop2.test. → ns.loop1.test. → ns.loop2.test.');
    expect(Date.now() - started).toBeLessThan(15000);
    // piped: the status row says it
    const piped = await runSockkit(['resolve', 'www.loop1.test', '-t', 'A', ...base(), '--timeout', '2']);
    expect(piped.code).toBe(7);
    expect(piped.stdout.trim().split('\n').at(-1)).toMatch(/^www\.loop1\.test\tA\t\tERROR \(referral loop: /);
  });

  test('a lame delegation: a dead address and a server that is not authoritative are skipped, with why, for the good one', async () => {
    const { code, result } = await iterate('www.lame.test', 'A');
    expect(code).toBe(0);
    expect(result.answers.map((a) => a.value)).toEqual(['192.0.2.40']);
    const lame = result.steps.filter((s) => s.zone === 'lame.test.');
    expect(lame.map((s) => [s.server, s.address.replace(/:\d+$/, ''), s.outcome, s.detail])).toEqual([
      ['a.lame.test.', ADDRESSES.dead, 'skipped', 'connection refused'],
      ['b.lame.test.', ADDRESSES.root, 'skipped', 'a referral to test. does not get closer to www.lame.test. than lame.test.'],
      ['c.lame.test.', ADDRESSES.leaf, 'answer', 'A 192.0.2.40'],
    ]);
  });

  test('--validate along the way: DS and DNSKEY fetched from the servers of the walk; statuses as delv gives them on this tree', async () => {
    const cases: Array<[string, string, string, number]> = [
      ['www.sockkit.test', 'A', 'secure', 0],
      ['nope.sockkit.test', 'A', 'secure', 3], // NSEC3 denial
      ['www.noglue.test', 'A', 'insecure', 0], // NSEC in test. proves no DS
      ['cross.sockkit.test', 'A', 'insecure', 0], // a signed CNAME to an unsigned zone
    ];
    for (const [name, type, security, exit] of cases) {
      const { code, result } = await iterate(name, type, ['--validate', '--trust-anchor', h.anchorFile]);
      expect([name, result.security, code]).toEqual([name, security, exit]);
    }
    // --chain: the links walked, then where the chain ended (noglue.test., proved unsigned by test.'s NSEC)
    const chained = await iterate('www.noglue.test', 'A', ['--validate', '--trust-anchor', h.anchorFile, '--chain']);
    const chain = (chained.result as unknown as { chain: { zones: Array<{ zone: string }>; end: unknown } }).chain;
    expect([chain.zones.map((z) => z.zone), chain.end]).toEqual([['.', 'test.'], { status: 'insecure', zone: 'noglue.test.', reason: 'noglue.test. is an unsigned delegation (NSEC proves no DS)' }]);
    // the root keys of IANA do not vouch for this root: bogus, exit 7
    const iana = await iterate('www.sockkit.test', 'A', ['--validate']);
    expect(iana.code).toBe(7);
    expect(iana.result).toMatchObject({ security: 'bogus', securityReason: 'the trust anchor matches no DNSKEY of .' });
  });

  test('--trace shows the socket work of every step: one UDP socket per server, a send and a receive per query', async () => {
    const r = await runSockkit(['resolve', 'www.sockkit.test', '-t', 'A', ...base(), '--trace']);
    expect(r.code).toBe(0);
    for (const address of [ADDRESSES.root, ADDRESSES.tld, ADDRESSES.leaf]) {
      expect(r.stderr).toMatch(new RegExp(`connect +\\S+ → ${address.replace(/\./g, '\\.')}:${h.port} \\(udp\\)`));
      expect(r.stderr).toMatch(new RegExp(`recv +\\d+ bytes from ${address.replace(/\./g, '\\.')}:${h.port}`));
    }
    expect(r.stderr).toMatch(/iterate +asking ns\.test\. \(127\.0\.0\.3:\d+\), a server of test\., for A www\.sockkit\.test\./);
  });

  test("--validate asks each DS of the parent's servers and each DNSKEY of the zone's own, starting at the zones already known", async () => {
    const r = await runSockkit(['resolve', 'www.sockkit.test', '-t', 'A', ...base(), '--validate', '--trust-anchor', h.anchorFile, '--trace']);
    expect(r.code).toBe(0);
    const asked = r.stderr.split('\n').filter((l) => /iterate +asking/.test(l)).map((l) => l.replace(/^.*asking (\S+) \(\S+\), a server of (\S+), for (.*)$/, '$1 $2 $3'));
    expect(asked).toEqual([
      'ns1. . A www.sockkit.test.',
      'ns.test. test. A www.sockkit.test.',
      'ns.sockkit.test. sockkit.test. A www.sockkit.test.',
      'ns1. . DNSKEY .',
      'ns1. . DS test.',
      'ns.test. test. DNSKEY test.',
      'ns.test. test. DS sockkit.test.',
      'ns.sockkit.test. sockkit.test. DNSKEY sockkit.test.',
    ]);
  });

  test('piped: one tab-separated step line per query, then the answer lines', async () => {
    const r = await runSockkit(['resolve', 'www.sockkit.test', '-t', 'A', ...base()]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(lines.map((f) => f.slice(0, 8).join(' '))).toEqual([
      `step www.sockkit.test. 0 A www.sockkit.test. . ns1. 127.0.0.2:${h.port} referral`,
      `step www.sockkit.test. 0 A www.sockkit.test. test. ns.test. 127.0.0.3:${h.port} referral`,
      `step www.sockkit.test. 0 A www.sockkit.test. sockkit.test. ns.sockkit.test. 127.0.0.4:${h.port} answer`,
      expect.stringMatching(new RegExp(`^www\\.sockkit\\.test A 3600 192\\.0\\.2\\.10 127\\.0\\.0\\.4:${h.port} `)),
    ]);
    expect(lines[0]).toHaveLength(10);
  });

  describe('a hostile server of hostile.test. (127.0.0.6)', () => {
    let hostile: RecordingDnsServer;
    /** Addresses where a socket reads every query and never answers. */
    const SILENT = ['127.0.0.10', '127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14', '127.0.0.15', '127.0.0.16', '127.0.0.17'];
    const silent: Array<ReturnType<typeof createSocket>> = [];
    const rr = (name: string, type: number, data: DnsRecord['data']): DnsRecord => ({ name, type, class: 1, ttl: 60, data });
    const ns = (zone: string, target: string) => rr(zone, RecordType.NS, { kind: 'NAME', target });
    const a = (name: string, address: string) => rr(name, RecordType.A, { kind: 'A', address });

    beforeAll(async () => {
      hostile = await startRecordingDnsServer({
        address: ADDRESSES.hostile,
        port: h.port,
        answer: (query, transport): DnsMessage | undefined => {
          const q = query.questions[0]!;
          const head = { ...query, qr: true, aa: false, ra: false, rcode: 0, answers: [] as DnsRecord[], authorities: [] as DnsRecord[], additionals: [] as DnsRecord[] };
          const label = q.name.toLowerCase().split('.').at(-4);
          switch (label) {
            case 'self': // a referral to the zone it serves itself
              return { ...head, authorities: [ns('hostile.test.', 'ns.hostile.test.')], additionals: [a('ns.hostile.test.', ADDRESSES.hostile)] };
            case 'up': // a referral back up to test.
              return { ...head, authorities: [ns('test.', 'ns.test.')], additionals: [a('ns.test.', ADDRESSES.hostile)] };
            case 'noaa': // an answer, not authoritative
              return { ...head, answers: [a(q.name, '192.0.2.99')] };
            case 'lie': // a referral whose glue for a name outside hostile.test. points back here
              return { ...head, authorities: [ns('lie.hostile.test.', 'ns.sockkit.test.')], additionals: [a('ns.sockkit.test.', ADDRESSES.hostile)] };
            case 'tc': // truncated over UDP; the answer over TCP
              return transport === 'udp' ? { ...head, aa: true, tc: true } : { ...head, aa: true, answers: [a(q.name, '192.0.2.98')] };
            case 'chain': { // an endless CNAME chain: cN → c(N+1), never with a SOA that would end it
              const n = Number(/^c(\d+)\./.exec(q.name)?.[1] ?? 0);
              return { ...head, aa: true, answers: [rr(q.name, RecordType.CNAME, { kind: 'NAME', target: `c${n + 1}.chain.hostile.test.` })] };
            }
            case 'cloop': // x → y → x
              return { ...head, aa: true, answers: [rr(q.name, RecordType.CNAME, { kind: 'NAME', target: q.name.startsWith('x.') ? 'y.cloop.hostile.test.' : 'x.cloop.hostile.test.' })] };
            case 'many': // a referral to eight servers that never answer
              return { ...head, authorities: SILENT.map((_, i) => ns('many.hostile.test.', `ns${i}.many.hostile.test.`)), additionals: SILENT.map((address, i) => a(`ns${i}.many.hostile.test.`, address)) };
            default: // silence
              return undefined;
          }
        },
      });
    });

    afterAll(async () => {
      await hostile?.close();
      for (const socket of silent) socket.close();
    });

    test.each([
      ['www.self.hostile.test', 'a referral to hostile.test. does not get closer to www.self.hostile.test. than hostile.test.'],
      ['www.up.hostile.test', 'a referral to test. does not get closer to www.up.hostile.test. than hostile.test.'],
      ['www.noaa.hostile.test', 'an answer without AA: not authoritative for the name'],
    ])('%s: skipped with why, and no other server: exit 7', async (name, why) => {
      const { code, result, stderr } = await iterate(name, 'A');
      expect(stderr).toBe('');
      expect(code).toBe(7);
      expect(result.steps.at(-1)).toMatchObject({ zone: 'hostile.test.', outcome: 'skipped', detail: why });
      expect(result.error).toBe(`no server of hostile.test. gave a usable reply for A ${name}.: ns.hostile.test. (${ADDRESSES.hostile}): ${why}`);
      expect(result.answers).toEqual([]);
    });

    test('glue for a name outside the zone that sent it is not believed: the name is looked up', async () => {
      const before = hostile.received.length;
      const { code, result } = await iterate('www.lie.hostile.test', 'A');
      // ns.sockkit.test. (127.0.0.4) serves no lie.hostile.test.: NSD refuses, and that was the only server
      expect(code).toBe(7);
      expect(result.steps.map((s) => [s.depth, s.question, s.address.replace(/:\d+$/, ''), s.outcome])).toEqual([
        [0, 'A www.lie.hostile.test.', ADDRESSES.root, 'referral'],
        [0, 'A www.lie.hostile.test.', ADDRESSES.tld, 'referral'],
        [0, 'A www.lie.hostile.test.', ADDRESSES.hostile, 'referral'],
        [1, 'A ns.sockkit.test.', ADDRESSES.tld, 'referral'],
        [1, 'A ns.sockkit.test.', ADDRESSES.leaf, 'answer'],
        [0, 'A www.lie.hostile.test.', ADDRESSES.leaf, 'skipped'],
      ]);
      expect(result.steps[2]!.detail).toBe('lie.hostile.test. NS ns.sockkit.test. (no glue)');
      expect(result.steps.at(-1)!.detail).toBe('it answered REFUSED');
      expect(hostile.received.slice(before).map((q) => q.name.toLowerCase())).toEqual(['www.lie.hostile.test.']);
    });

    test('a truncated reply: the same question again over TCP, to the same server', async () => {
      const before = hostile.received.length;
      const r = await runSockkit(['resolve', 'www.tc.hostile.test', '-t', 'A', ...base(), '--json', '--trace']);
      expect(r.code).toBe(0);
      const result = (JSON.parse(r.stdout) as Result[])[0]!;
      expect(result.answers.map((x) => x.value)).toEqual(['192.0.2.98']);
      expect(result.steps.at(-1)).toMatchObject({ zone: 'hostile.test.', outcome: 'answer' });
      expect(hostile.received.slice(before).map((q) => q.transport)).toEqual(['udp', 'tcp']);
      expect(r.stderr).toMatch(/truncated +reply for id \S+ has the TC bit: retrying over TCP/);
    });

    test('an endless CNAME chain ends after 8 followed, and a CNAME loop at once: exit 7', async () => {
      const endless = await iterate('c0.chain.hostile.test', 'A');
      expect(endless.code).toBe(7);
      expect(endless.result.error).toBe('more than 8 CNAMEs followed out of their zones');
      expect(endless.result.steps.filter((s) => s.outcome === 'cname')).toHaveLength(9);
      const loop = await iterate('x.cloop.hostile.test', 'A');
      expect(loop.code).toBe(7);
      expect(loop.result.error).toBe('CNAME loop: x.cloop.hostile.test. leads back to a name already on the chain');
    });

    test('eight servers that never answer: the walk stops at its own limit (6 x --timeout), exit 5', async () => {
      for (const address of SILENT) {
        const socket = createSocket('udp4');
        await new Promise<void>((resolve) => socket.bind(h.port, address, resolve));
        socket.on('message', () => {}); // read, never answer
        silent.push(socket);
      }
      const started = Date.now();
      const { code, result } = await iterate('www.many.hostile.test', 'A', ['--timeout', '1']);
      const elapsed = Date.now() - started;
      expect(code).toBe(5);
      expect(result.error).toBe('the walk ran past its limit of 6 s');
      const timedOut = result.steps.filter((s) => s.zone === 'many.hostile.test.');
      expect(timedOut.length).toBeGreaterThanOrEqual(5);
      expect(timedOut.length).toBeLessThan(SILENT.length);
      expect(timedOut.every((s) => s.outcome === 'skipped' && /^timed out after /.test(s.detail))).toBe(true);
      expect(elapsed).toBeGreaterThan(5000);
      expect(elapsed).toBeLessThan(6000 + 10000);
    }, 30000);

    test('a server that never answers: skipped after --timeout, the walk ends with exit 5 within its bound', async () => {
      const started = Date.now();
      const { code, result } = await iterate('www.silent.hostile.test', 'A', ['--timeout', '1']);
      expect(code).toBe(5);
      expect(result.steps.at(-1)).toMatchObject({ outcome: 'skipped', detail: 'timed out after 1 s' });
      expect(Date.now() - started).toBeLessThan(1000 + 10000);
    });
  });

  test('misuse is one line, exit 2: --iterate with a server, --root-hints alone, a root hints file without servers', async () => {
    const bad = join(h.dir, 'bad.hints');
    writeFileSync(bad, '; nothing\nns1. 3600 A 127.0.0.2\n');
    const cases: Array<[string[], string]> = [
      [['www.sockkit.test', '--iterate', '@127.0.0.2'], 'sockkit resolve: --iterate with @SERVER / --server: the walk asks the servers it finds from the root, over UDP (TCP when a reply is truncated)'],
      [['www.sockkit.test', '--root-hints', h.rootHintsFile], 'sockkit resolve: --root-hints: is where --iterate starts (add --iterate)'],
      [['www.sockkit.test', '--iterate', '--root-hints', bad], `sockkit resolve: --root-hints ${bad}: no NS line for the root (.)`],
      [['example.test', '--iterate', '-t', 'AXFR', '--root-hints', h.rootHintsFile], 'sockkit resolve: --iterate with AXFR: a zone transfer is asked of one server (name the server with @SERVER instead)'],
    ];
    for (const [args, line] of cases) {
      const r = await runSockkit(['resolve', ...args]);
      expect(r.code).toBe(2);
      expectCleanError(r, 'resolve');
      expect(r.stderr.split('\n')[0]).toBe(line);
    }
  });
});
