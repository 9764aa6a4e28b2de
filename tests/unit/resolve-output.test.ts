import { describe, expect, test } from '@jest/globals';
import { Terminal } from '../../src/output/terminal.js';
import { FakeStream } from '../helpers/fake-stream.js';
import { formatResolvePlain, printResolveJson, printResolveTable, ResolveStreamPrinter } from '../../src/output/resolve.js';
import type { ResolveResult } from '../../src/net/dns/resolve.js';

const OK: ResolveResult = {
  name: 'bücher.sockkit.test',
  asciiName: 'xn--bcher-kva.sockkit.test',
  queryName: 'xn--bcher-kva.sockkit.test.',
  type: 'MX',
  status: 'ok',
  server: '127.0.0.1:53',
  timeMs: 1.234,
  rcode: 'NOERROR',
  transport: 'udp',
  answers: [
    { name: 'xn--bcher-kva.sockkit.test.', type: 'MX', ttl: 300, value: '10 mail.sockkit.test.' },
    { name: 'xn--bcher-kva.sockkit.test.', type: 'MX', ttl: 300, value: '20 mail2.sockkit.test.' },
  ],
};
const MISSING: ResolveResult = {
  name: 'nope.test',
  queryName: 'nope.test.',
  type: 'A',
  status: 'nxdomain',
  server: '127.0.0.1:53',
  timeMs: 0.5,
  rcode: 'NXDOMAIN',
  answers: [],
};

function terminal(tty: boolean, options: { quiet?: boolean; json?: boolean } = {}) {
  const stdout = new FakeStream(tty);
  const stderr = new FakeStream(false);
  return { stdout, stderr, term: new Terminal({ stdout, stderr, env: {}, command: 'resolve', ...options }) };
}

describe('resolve renderers', () => {
  test('a TTY gets a table with the documented columns, IDN names both ways', async () => {
    const { stdout, term } = terminal(true);
    await printResolveTable(term, [OK, MISSING]);
    for (const header of ['name', 'type', 'TTL', 'value', 'server', 'time ms']) expect(stdout.text).toContain(header);
    expect(stdout.text).toContain('bücher.sockkit.test (xn--bcher-kva.sockkit.test)');
    expect(stdout.text).toContain('20 mail2.sockkit.test.');
    expect(stdout.text).toMatch(/nope\.test.*NXDOMAIN/);
    expect(stdout.text).toMatch(/[┌─│]/);
  });

  test('piped lines: one answer per line, tab-separated, statuses in the value column', () => {
    expect(formatResolvePlain(OK) + formatResolvePlain(MISSING)).toBe(
      'bücher.sockkit.test (xn--bcher-kva.sockkit.test)\tMX\t300\t10 mail.sockkit.test.\t127.0.0.1:53\t1.2\n' +
        'bücher.sockkit.test (xn--bcher-kva.sockkit.test)\tMX\t300\t20 mail2.sockkit.test.\t127.0.0.1:53\t1.2\n' +
        'nope.test\tA\t\tNXDOMAIN\t127.0.0.1:53\t0.5\n',
    );
  });

  test('the stream printer gathers lines and writes them on flush', () => {
    const { stdout, term } = terminal(false);
    const printer = new ResolveStreamPrinter(term, 'plain');
    printer.print(OK);
    printer.print(MISSING);
    expect(stdout.chunks).toHaveLength(0);
    printer.flush();
    expect(stdout.chunks).toHaveLength(1);
    expect(stdout.text.split('\n')).toHaveLength(4);
  });

  test('--short: values only on stdout; a missing name is said on stderr (not with --quiet)', () => {
    const loud = terminal(false);
    const printer = new ResolveStreamPrinter(loud.term, 'short');
    printer.print(MISSING);
    printer.print(OK);
    printer.flush();
    expect(loud.stdout.text).toBe('10 mail.sockkit.test.\n20 mail2.sockkit.test.\n');
    expect(loud.stderr.text).toBe('sockkit resolve: nope.test A: NXDOMAIN\n');

    const quiet = terminal(false, { quiet: true });
    const quietPrinter = new ResolveStreamPrinter(quiet.term, 'short');
    quietPrinter.print(MISSING);
    quietPrinter.flush();
    expect(quiet.stderr.text).toBe('');
  });

  test('--json: one array with the documented field names', () => {
    const { stdout, term } = terminal(false, { json: true });
    printResolveJson(term, [OK, MISSING]);
    const doc = JSON.parse(stdout.text) as Array<Record<string, unknown>>;
    expect(doc[0]).toMatchObject({ name: 'bücher.sockkit.test', asciiName: 'xn--bcher-kva.sockkit.test', type: 'MX', status: 'ok', server: '127.0.0.1:53', timeMs: 1.234 });
    expect(doc[0]!.answers).toEqual([
      { name: 'xn--bcher-kva.sockkit.test.', type: 'MX', ttl: 300, value: '10 mail.sockkit.test.' },
      { name: 'xn--bcher-kva.sockkit.test.', type: 'MX', ttl: 300, value: '20 mail2.sockkit.test.' },
    ]);
    expect(doc[1]).toMatchObject({ name: 'nope.test', status: 'nxdomain', answers: [] });
    expect(doc[1]).not.toHaveProperty('asciiName');
  });
});
