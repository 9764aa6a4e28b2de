import { expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { SOCKKIT_BIN } from '../helpers/run-sockkit.js';

// A slow reader: the whole result must arrive even though the pipe fills up.
test('large piped output is not cut off at exit', async () => {
  const child = spawn(process.execPath, [SOCKKIT_BIN, 'service', '--range', '1-65535', '--source', 'iana'], {
    env: { ...process.env, CI: '1' },
  });
  let bytes = 0;
  let lines = 0;
  child.stdout.pause();
  await new Promise((r) => setTimeout(r, 300)); // let the pipe fill while we do not read
  child.stdout.on('data', (d: Buffer) => {
    bytes += d.length;
    lines += d.toString().split('\n').length - 1;
  });
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  expect(bytes).toBeGreaterThan(256 * 1024);
  expect(lines).toBeGreaterThan(5000);
});

test('a reader that goes away ends the run quietly, without a stack trace', async () => {
  const child = spawn('sh', ['-c', `"${process.execPath}" "${SOCKKIT_BIN}" service --range 1-65535 --source iana | head -1`], {
    env: { ...process.env, CI: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  expect(stdout.trim().split('\n')).toHaveLength(1);
  expect(stderr).toBe('');
});
