// `sockkit resolve --server` against a DNS server that answers the question asked with
// records that do not answer it (tests/fixtures/dns/hostile-server.ts), and against a
// server port where nothing listens. Only records that answer the question may be
// printed; the rest shows in --trace ("ignored") and in the JSON `ignored` list.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runSockkit } from '../helpers/run-sockkit.js';
import { closedUdpPort, scenarioFor, startHostileDnsServer, type HostileDnsServer } from '../fixtures/dns/hostile-server.js';

interface Answer {
  name: string;
  type: string;
  value: string;
}
interface Result {
  name: string;
  type: string;
  status: string;
  rcode?: string;
  error?: string;
  transport?: string;
  timeMs: number;
  answers: Answer[];
  ignored?: Array<Answer & { reason: string; class?: number }>;
}

let server: HostileDnsServer;
beforeAll(async () => {
  server = await startHostileDnsServer();
});
afterAll(async () => {
  await server?.close();
});

async function resolve(args: string[]) {
  const started = Date.now();
  const r = await runSockkit(['resolve', ...args, '--server', `127.0.0.1:${server.port}`, '--timeout', '3']);
  return { ...r, elapsedMs: Date.now() - started };
}

async function resolveJson(args: string[]) {
  const r = await resolve([...args, '--json']);
  return { ...r, results: JSON.parse(r.stdout) as Result[] };
}

/** Every value printed, whatever the status (a forged address must appear nowhere in stdout). */
const FORGED = /198\.51\.100\.66|2001:db8::66/;

describe('resolve: records that do not answer the question are never the answer', () => {
  test('an AAAA record in reply to an A question is ignored: NODATA, exit 3', async () => {
    const r = await resolveJson(['x.wrong-type.test', '-4']);
    expect(r.code).toBe(3);
    expect(r.results[0]).toMatchObject({ type: 'A', status: 'nodata', rcode: 'NOERROR', answers: [] });
    expect(r.results[0]!.ignored).toEqual([expect.objectContaining({ type: 'AAAA', value: '2001:db8::66', reason: 'AAAA does not answer a A question' })]);
  });

  test('and the other way round, for both default types; the plain output shows no forged value', async () => {
    const r = await resolve(['x.wrong-type.test']);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toMatch(FORGED);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t').slice(1, 4).join(' '))).toEqual(['A  NODATA', 'AAAA  NODATA']);
  });

  test('an A record of an unrelated owner (www.bank.example) is not the address of the name asked', async () => {
    const r = await resolve(['x.unrelated-owner.test', '-4', '--trace']);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toMatch(FORGED);
    expect(r.stdout).toMatch(/^x\.unrelated-owner\.test\tA\t\tNODATA\t/);
    expect(r.stderr).toMatch(/ignored\s+www\.bank\.example\. A 60 198\.51\.100\.66: owner www\.bank\.example\. is neither x\.unrelated-owner\.test\. nor on its alias chain/);
  });

  test('beside the real answer, the unrelated record is dropped and the real one kept', async () => {
    const r = await resolve(['x.unrelated-beside.test', '-4', '--short']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('198.51.100.7\n');
  });

  test('the right owner and type in class CH is not an answer to an IN question', async () => {
    const r = await resolveJson(['x.wrong-class.test', '-4']);
    expect(r.code).toBe(3);
    expect(r.results[0]).toMatchObject({ status: 'nodata', answers: [] });
    expect(r.results[0]!.ignored).toEqual([expect.objectContaining({ class: 3, reason: 'class 3, not IN (the class asked)' })]);
  });

  test('names differing only in case (DNS 0x20) are the same name: the answer counts', async () => {
    const r = await resolveJson(['x.mixed-case.test', '-4']);
    expect(r.code).toBe(0);
    expect(r.results[0]!.answers.map((a) => a.value)).toEqual(['198.51.100.20']);
  });

  test('the same rules over TCP (after a truncated UDP reply)', async () => {
    const r = await resolveJson(['x.truncated.unrelated-beside.test', 'y.truncated.wrong-type.test', '-4']);
    expect(r.code).toBe(3);
    expect(r.results.map((x) => [x.transport, x.status, x.answers.map((a) => a.value).join()])).toEqual([
      ['tcp', 'ok', '198.51.100.7'],
      ['tcp', 'nodata', ''],
    ]);
  });

  test('a reply for another question is still refused: nothing accepted, a timeout', async () => {
    const r = await runSockkit(['resolve', 'x.wrong-question.test', '-4', '--server', `127.0.0.1:${server.port}`, '--timeout', '0.5', '--trace']);
    expect(r.code).toBe(5);
    expect(r.stdout).not.toMatch(FORGED);
    expect(r.stderr).toMatch(/not our question/);
  });
});

describe('resolve: CNAME and DNAME chains', () => {
  test('a CNAME loop is its own error, exit 7, not an empty success', async () => {
    const r = await resolveJson(['x.cname-loop.test', '-4']);
    expect(r.code).toBe(7);
    expect(r.results[0]).toMatchObject({ status: 'error', error: 'CNAME loop: x.cname-loop.test. → loop-b.example. → x.cname-loop.test.' });
  });

  test('a CNAME to nowhere is NODATA, exit 3, and shows the hop in JSON', async () => {
    const r = await resolveJson(['x.cname-nowhere.test', '-4']);
    expect(r.code).toBe(3);
    expect(r.results[0]).toMatchObject({ status: 'nodata', rcode: 'NOERROR' });
    expect(r.results[0]!.answers).toEqual([expect.objectContaining({ type: 'CNAME', value: 'gone.example.' })]);
  });

  test('NXDOMAIN at the end of a chain is NXDOMAIN, exit 3', async () => {
    const r = await resolveJson(['x.cname-nxdomain.test', '-4']);
    expect(r.code).toBe(3);
    expect(r.results[0]).toMatchObject({ status: 'nxdomain', rcode: 'NXDOMAIN' });
  });

  test('a chain sent in reverse order is followed by reachability and printed hop by hop', async () => {
    const r = await resolve(['x.cname-shuffled.test', '-4']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t').slice(1, 4).join(' '))).toEqual([
      'CNAME 60 mid.example.',
      'CNAME 60 end.example.',
      'A 60 198.51.100.9',
    ]);
  });

  test('a chain longer than 16 hops is an error, exit 7', async () => {
    const r = await resolveJson(['x.cname-long.test', '-4']);
    expect(r.code).toBe(7);
    expect(r.results[0]!.status).toBe('error');
    expect(r.results[0]!.error).toMatch(/^alias chain longer than 16 hops/);
  });

  test('DNAME: the DNAME, its synthesised CNAME and the address at the target', async () => {
    const r = await resolveJson(['www.dname.test', '-4']);
    expect(r.code).toBe(0);
    expect(r.results[0]!.answers.map((a) => `${a.name} ${a.type} ${a.value}`)).toEqual([
      'dname.test. DNAME target.example.',
      'www.dname.test. CNAME www.target.example.',
      'www.target.example. A 198.51.100.39',
    ]);
    expect(r.results[0]!.ignored).toBeUndefined();
  });

  test('DNAME alone: sockkit synthesises the target name itself (RFC 6672)', async () => {
    const r = await resolve(['www.dname-only.test', '-4', '--short']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('target.example.\n198.51.100.40\n');
  });

  test('a CNAME that disagrees with its DNAME is ignored: the DNAME target wins', async () => {
    const r = await resolveJson(['www.dname-forged.test', '-4']);
    expect(r.code).toBe(0);
    expect(r.results[0]!.answers.map((a) => a.value)).toEqual(['target.example.', '198.51.100.41']);
    expect(r.results[0]!.ignored!.map((i) => i.type).sort()).toEqual(['A', 'CNAME']);
  });
});

describe('resolve: EDNS extended RCODEs are decoded', () => {
  test('BADVERS (extended RCODE 16) is an error named BADVERS, exit 7, not NOERROR/NODATA', async () => {
    const r = await resolveJson(['x.badvers.test', '-4']);
    expect(r.code).toBe(7);
    expect(r.results[0]).toMatchObject({ status: 'error', rcode: 'BADVERS' });
    expect(r.results[0]!.error).toMatch(/BADVERS/);
  });

  test('extended RCODE 19 with header RCODE 3 is BADMODE, not NXDOMAIN', async () => {
    const r = await resolveJson(['x.extended-rcode.test', '-4']);
    expect(r.code).toBe(7);
    expect(r.results[0]).toMatchObject({ status: 'error', rcode: 'BADMODE' });
  });
});

describe('resolve: nothing listening on the server port is unreachable at once, for every question', () => {
  // The ICMP port unreachable arrives in milliseconds; with a 20 s budget, a run that
  // ends within 10 s (and questions that each took under 5 s) did not wait for it.
  async function againstClosedPort(args: string[], input?: string) {
    const port = await closedUdpPort();
    const started = Date.now();
    const r = await runSockkit(['resolve', ...args, '--server', `127.0.0.1:${port}`, '--timeout', '20', '--json'], input === undefined ? {} : { input });
    return { ...r, elapsedMs: Date.now() - started, results: JSON.parse(r.stdout || '[]') as Result[] };
  }

  test.each([
    ['the default A and AAAA', ['closed.test'], 2],
    ['-4', ['closed.test', '-4'], 1],
    ['several names', ['a.test', 'b.test', 'c.test'], 6],
  ])('%s: every question unreachable, exit 4', async (_what, args, count) => {
    const r = await againstClosedPort(args);
    expect(r.code).toBe(4);
    expect(r.results).toHaveLength(count);
    for (const result of r.results) expect(result).toMatchObject({ status: 'unreachable', error: 'connection refused' });
    expect(Math.max(...r.results.map((x) => x.timeMs))).toBeLessThan(5000);
    expect(r.elapsedMs).toBeLessThan(10000);
  });

  test('a server that stops after the first copies arrive: the retransmissions meet the ICMP error, all unreachable', async () => {
    let stopped: Promise<void> | undefined;
    const dying = await startHostileDnsServer(() => {
      stopped ??= new Promise((resolve) => setTimeout(resolve, 50)).then(() => dying.close()); // after both questions
      return undefined;
    });
    const started = Date.now();
    // retransmissions back off from 1/15 of 9 s: the first one, at 0.6 s, finds nothing listening
    const r = await runSockkit(['resolve', 'gone.test', 'gone2.test', '--server', `127.0.0.1:${dying.port}`, '--timeout', '9', '--json']);
    await stopped;
    const results = JSON.parse(r.stdout) as Result[];
    expect(r.code).toBe(4);
    expect(results.map((x) => x.status)).toEqual(['unreachable', 'unreachable', 'unreachable', 'unreachable']);
    expect(dying.queries.length).toBe(4); // each question's first copy; the retransmissions found the port closed
    expect(Math.max(...results.map((x) => x.timeMs))).toBeLessThan(7000);
    expect(Date.now() - started).toBeLessThan(9000);
  });

  test('a server that answers once and then stops: the questions sent after its answer (without a send callback) meet the ICMP error when sent again', async () => {
    // first.test is answered; x.test (sent with it) and y.test (sent after the answer) are
    // not; the port closes. The first retransmission sends both again: whichever of the
    // two sends the ICMP error lands on, it must be seen, not dropped (a timeout at 9 s).
    let answered = false;
    let stopped: Promise<void> | undefined;
    const dying = await startHostileDnsServer((query) => {
      stopped ??= new Promise((resolve) => setTimeout(resolve, 50)).then(() => dying.close());
      if (answered) return undefined;
      answered = true;
      return scenarioFor(query)(query);
    });
    const input = 'first.test\nx.test\ny.test\n';
    const r = await runSockkit(['resolve', '-', '-c', '2', '--type', 'A', '--server', `127.0.0.1:${dying.port}`, '--timeout', '9', '--json'], { input });
    await stopped;
    const results = JSON.parse(r.stdout) as Result[];
    expect(results.map((x) => [x.name, x.status])).toEqual([
      ['first.test', 'ok'],
      ['x.test', 'unreachable'],
      ['y.test', 'unreachable'],
    ]);
    expect(r.code).toBe(4);
  });

  test('resolve - with 400 names, 50 in flight: all unreachable, exit 4', async () => {
    const names = Array.from({ length: 400 }, (_, i) => `n${i}.test`);
    const r = await againstClosedPort(['-'], names.join('\n'));
    expect(r.code).toBe(4);
    expect(r.results).toHaveLength(400); // a list: A and AAAA of a name are one result
    expect(r.results[0]).toMatchObject({ type: 'A/AAAA', error: 'connection refused' });
    expect(r.results.filter((x) => x.status !== 'unreachable')).toEqual([]);
    expect(Math.max(...r.results.map((x) => x.timeMs))).toBeLessThan(5000);
    expect(r.elapsedMs).toBeLessThan(10000);
  });
});
