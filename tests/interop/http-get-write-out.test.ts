// -w/--write-out beside curl -w on the same nginx: the same values for everything that
// is not a clock, and times that grow phase by phase as curl's do.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { startNginx, type Nginx } from './peers/nginx.js';
import { renderWriteOut, writeOutValues, checkWriteOut } from '../../src/output/write-out.js';

const SAME = '%{http_code} %{response_code} %{size_download} %{remote_ip} %{remote_port} %{num_redirects} %{url_effective} %{http_version} %{content_type} %{scheme}';
const TIMES = '%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}';

test('renderWriteOut: escapes, %%, times with 6 decimals, %{json}; unknown variables refused up front', () => {
  const values = { http_code: '200', time_total: 0.5 } as unknown as ReturnType<typeof writeOutValues>;
  expect(renderWriteOut('%{http_code}\\t100%%\\n%{time_total}\\\\', values)).toBe('200\t100%\n0.500000\\');
  expect(JSON.parse(renderWriteOut('%{json}', values))).toEqual({ http_code: '200', time_total: 0.5 });
  expect(() => checkWriteOut('%{http_code} %{bogus}')).toThrow(/bad --write-out variable '%\{bogus\}'/);
  expect(() => checkWriteOut('%{json} %%')).not.toThrow();
});

describeWithPeers('http-get -w beside curl -w', ['nginx', 'openssl', 'curl'], () => {
  let nginx: Nginx;
  let dir: string;
  beforeAll(async () => {
    nginx = await startNginx({ files: { 'small.txt': 'hello from nginx\n' } });
    dir = mkdtempSync(join(tmpdir(), 'sockkit-writeout-'));
  }, 60000);
  afterAll(async () => {
    await nginx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.each([
    ['http', (n: Nginx) => `http://127.0.0.1:${n.ports.http}/redirect/chain`],
    ['https', (n: Nginx) => `https://localhost:${n.ports.https}/small.txt`],
  ])('%s: the same values as curl, times in phase order', async (_name, urlOf) => {
    const url = urlOf(nginx);
    const r = await runSockkit(['http-get', '-L', '--http1.1', '--cacert', nginx.caFile, '-o', '/dev/null', '-w', `${SAME}\\n${TIMES}`, url]);
    expect(r.code).toBe(0);
    const [same, times] = r.stdout.split('\n');
    const reference = execFileSync('curl', ['-s', '-L', '--http1.1', '-4', '--cacert', nginx.caFile, '-o', '/dev/null', '-w', SAME, url]).toString();
    expect(same).toBe(reference);
    const t = times!.split(' ').map(Number);
    for (let i = 1; i < t.length; i++) if (t[i] !== 0) expect(t[i]).toBeGreaterThanOrEqual(t[i - 1]!);
    expect(t[4]).toBeGreaterThan(0);
  });

  test('a fetch that gets no response still writes its line, as curl does: http_code 000, no address, the error on stderr', async () => {
    const refused = 'http://127.0.0.1:9/x'; // discard port: nothing listens in the sandbox
    const r = await runSockkit(['http-get', '-w', `${SAME}\\n`, refused]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/connection refused/);
    let reference = '';
    try {
      execFileSync('curl', ['-s', '-w', SAME, refused]);
    } catch (err) {
      reference = String((err as { stdout: Buffer }).stdout);
    }
    expect(reference).toMatch(/^000 /);
    expect(r.stdout).toBe(`${reference}\n`);
    // one line per URL with several, the failed one included
    const two = await runSockkit(['http-get', '-w', '%{http_code}\\n', '-o', '/dev/null', '-o', '/dev/null', `http://127.0.0.1:${nginx.ports.http}/small.txt`, refused]);
    expect(two.code).toBe(4);
    expect(two.stdout).toBe('200\n000\n');
  });

  test('@FILE reads the format; %{json} is one object', async () => {
    const file = join(dir, 'format');
    writeFileSync(file, '%{json}');
    const r = await runSockkit(['http-get', '-o', '/dev/null', '-w', `@${file}`, `http://127.0.0.1:${nginx.ports.http}/small.txt`]);
    expect(JSON.parse(r.stdout)).toMatchObject({ http_code: '200', size_download: 17, num_redirects: 0, http_version: '1.1', scheme: 'HTTP' });
    const missing = await runSockkit(['http-get', '-w', `@${join(dir, 'nope')}`, `http://127.0.0.1:${nginx.ports.http}/small.txt`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^sockkit http-get: bad --write-out '@.*nope': /);
  });
});
