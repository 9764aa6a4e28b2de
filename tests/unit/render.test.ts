import { describe, expect, test } from '@jest/globals';
import { Terminal } from '../../src/output/terminal.js';
import { printFields, printJson, printTable } from '../../src/output/render.js';
import { startSpinner } from '../../src/output/spinner.js';
import { FakeStream } from '../helpers/fake-stream.js';

const columns = [
  { header: 'name', value: (r: { name: string; ttl: number }) => r.name },
  { header: 'ttl', value: (r: { name: string; ttl: number }) => r.ttl },
];
const rows = [
  { name: 'a.test', ttl: 300 },
  { name: 'tab\there', ttl: 60 },
];

describe('printTable', () => {
  test('piped: tab-separated lines, no header, no borders, tabs in values flattened', async () => {
    const stdout = new FakeStream(false);
    await printTable(new Terminal({ stdout, env: {} }), columns, rows);
    expect(stdout.text).toBe('a.test\t300\ntab here\t60\n');
  });

  test('TTY: a bordered table with headers', async () => {
    const stdout = new FakeStream(true);
    await printTable(new Terminal({ stdout, env: {} }), columns, rows);
    expect(stdout.text).toMatch(/┌/);
    expect(stdout.text).toMatch(/name/);
    expect(stdout.text).toMatch(/a\.test/);
  });
});

test('printFields piped is label<TAB>value and skips undefined', async () => {
  const stdout = new FakeStream(false);
  await printFields(new Terminal({ stdout, env: {} }), [
    ['hostname', 'box'],
    ['fqdn', undefined],
  ]);
  expect(stdout.text).toBe('hostname\tbox\n');
});

test('printJson writes one parseable document', () => {
  const stdout = new FakeStream(false);
  printJson(new Terminal({ stdout, env: {} }), { a: 1, b: [2] });
  expect(JSON.parse(stdout.text)).toEqual({ a: 1, b: [2] });
});

describe('colour and progress decisions', () => {
  test('colour only on a TTY without NO_COLOR or --no-color', () => {
    expect(new Terminal({ stdout: new FakeStream(true), env: {} }).color).toBe(true);
    expect(new Terminal({ stdout: new FakeStream(false), env: {} }).color).toBe(false);
    // no-color.org: only a non-empty NO_COLOR turns colour off.
    expect(new Terminal({ stdout: new FakeStream(true), env: { NO_COLOR: '1' } }).color).toBe(false);
    expect(new Terminal({ stdout: new FakeStream(true), env: { NO_COLOR: '' } }).color).toBe(true);
    expect(new Terminal({ stdout: new FakeStream(true), env: {}, color: false }).color).toBe(false);
  });

  test('spinner never with a 0-column TTY, CI, --json or --quiet', () => {
    const tty = new FakeStream(true);
    expect(new Terminal({ stderr: tty, env: {} }).showsProgress).toBe(true);
    expect(new Terminal({ stderr: new FakeStream(true, 0), env: {} }).showsProgress).toBe(false);
    expect(new Terminal({ stderr: tty, env: { CI: 'true' } }).showsProgress).toBe(false);
    expect(new Terminal({ stderr: tty, env: {}, json: true }).showsProgress).toBe(false);
    expect(new Terminal({ stderr: tty, env: {}, quiet: true }).showsProgress).toBe(false);
    expect(new Terminal({ stderr: new FakeStream(false), env: {} }).showsProgress).toBe(false);
  });

  test('a spinner on a TTY draws on stderr and stops', async () => {
    const stderr = new FakeStream(true);
    const spinner = await startSpinner(new Terminal({ stderr, env: {} }), 'waiting');
    spinner.stop();
    expect(stderr.text).toMatch(/waiting/);
  });
});
