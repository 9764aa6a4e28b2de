// bin/sockkit compiles the bundle with the V8 code cache written at build time. The
// cache must really be taken (or the start-up saving is gone without a sound), and a
// stale or damaged one must never break the tool.
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = join(root, 'dist', 'sockkit.cjs');

function runNode(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NO_COLOR: '1', ...env } });
}

describe('the bundle code cache', () => {
  // The common cache, and http-get's own (from a run of a small GET at build time).
  it.each(['.cache', '.http-get.cache'])('%s is accepted by this Node for the bundle it was built with', (suffix) => {
    const check = `
      const { readFileSync } = require('node:fs');
      const { wrap } = require('node:module');
      const { Script } = require('node:vm');
      const file = ${JSON.stringify(bundle)};
      const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData: readFileSync(file + ${JSON.stringify(suffix)}) });
      console.log(script.cachedDataRejected ? 'rejected' : 'accepted');`;
    const result = runNode(['-e', check]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('accepted');
  });

  describe('in a copy of bin/ and dist/', () => {
    let dir: string;
    let bin: string;
    let cache: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'sockkit-cache-'));
      mkdirSync(join(dir, 'bin'));
      mkdirSync(join(dir, 'dist'));
      for (const f of ['bin/sockkit', 'bin/package.json', 'dist/sockkit.cjs', 'dist/sockkit-yargs.cjs', 'dist/sockkit.cjs.cache', 'dist/sockkit.cjs.http-get.cache', 'dist/iana-services.tsv']) {
        copyFileSync(join(root, f), join(dir, f));
      }
      bin = join(dir, 'bin', 'sockkit');
      cache = join(dir, 'dist', 'sockkit.cjs.cache');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const expectWorks = () => {
      const result = runNode([bin, 'service', '80', '--json']);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)[0]).toEqual(expect.objectContaining({ name: 'http', port: 80, protocol: 'tcp' }));
    };

    it('runs with the cache', () => expectWorks());

    it('runs with a damaged cache (V8 rejects it)', () => {
      writeFileSync(cache, Buffer.alloc(4096, 0xa5));
      expectWorks();
    });

    it('runs with a cache older than the bundle (never offered to V8)', () => {
      writeFileSync(cache, Buffer.alloc(16, 1));
      const past = new Date(Date.now() - 3_600_000);
      utimesSync(cache, past, past);
      expectWorks();
    });

    it('runs without a cache', () => {
      rmSync(cache);
      expectWorks();
    });

    describe("http-get's own cache", () => {
      let server: Server;
      let url: string;
      beforeAll(async () => {
        server = createServer((_req, res) => res.end('hello\n'));
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      });
      afterAll(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      });

      const fetches = async () => {
        const result = await new Promise<{ error: Error | null; stdout: string; stderr: string }>((resolve) =>
          execFile(process.execPath, [bin, 'http-get', url], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) =>
            resolve({ error, stdout, stderr }),
          ),
        );
        expect(result).toEqual({ error: null, stdout: 'hello\n', stderr: '' });
      };
      const httpGetCache = () => join(dir, 'dist', 'sockkit.cjs.http-get.cache');

      it('runs with it', fetches);

      it('runs with it damaged (V8 rejects it)', async () => {
        writeFileSync(httpGetCache(), Buffer.alloc(4096, 0xa5));
        await fetches();
      });

      it('runs with it older than the bundle (the common one is taken)', async () => {
        writeFileSync(httpGetCache(), Buffer.alloc(16, 1));
        const past = new Date(Date.now() - 3_600_000);
        utimesSync(httpGetCache(), past, past);
        await fetches();
      });

      it('runs without it, and without either cache', async () => {
        rmSync(httpGetCache());
        await fetches();
        rmSync(cache);
        await fetches();
      });
    });
  });
});
