// Starts NSD (authoritative only) on 127.0.0.1 and ::1 on a free port, with sockkit's
// own test zones copied into a temp dir, and stops it by its PID.
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitFor, type Started } from '../../helpers/process.js';
import { encodeQuery, RecordType } from '../../../src/net/dns/packet.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/dns/', import.meta.url));
const ZONE_FILES = ['sockkit.test.zone', 'reverse-v4.zone', 'reverse-v6.zone'];

export interface NsdPeer {
  port: number;
  dir: string;
  process: Started;
  stop: () => Promise<void>;
}

/**
 * `extraZoneLines` are appended to sockkit.test.zone (generated names, kept out of git).
 * A free port can be taken by someone else before NSD binds it: then try another.
 */
export async function startNsd(options: { extraZoneLines?: string } = {}): Promise<NsdPeer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNsdOnce(options);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function startNsdOnce(options: { extraZoneLines?: string }): Promise<NsdPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-nsd-'));
  const port = await freePort(true);
  const config = readFileSync(join(FIXTURES, 'nsd.conf.template'), 'utf8').replaceAll('{{DIR}}', dir).replaceAll('{{PORT}}', String(port));
  const configPath = join(dir, 'nsd.conf');
  writeFileSync(configPath, config);
  for (const file of ZONE_FILES) writeFileSync(join(dir, file), readFileSync(join(FIXTURES, file)));
  if (options.extraZoneLines) appendFileSync(join(dir, 'sockkit.test.zone'), options.extraZoneLines);
  execFileSync('nsd-checkconf', [configPath]);

  // -d: stay in the foreground, so the PID we hold is NSD's and SIGTERM stops it all.
  const nsd = startProcess('nsd', ['-d', '-c', configPath]);
  try {
    await waitFor(async () => (await answersQuery('127.0.0.1', port, 'sockkit.test.', RecordType.SOA)) && (await answersQuery('::1', port, 'sockkit.test.', RecordType.SOA)), 10000, 'NSD to answer on 127.0.0.1 and ::1');
  } catch (err) {
    await nsd.stop();
    const message = `${(err as Error).message}\n${nsd.output()}\n${safeRead(join(dir, 'nsd.log'))}`;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(message);
  }
  return {
    port,
    dir,
    process: nsd,
    stop: async () => {
      await nsd.stop('SIGTERM', 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One query with a short wait (300 ms): true when the server answered it (with NOERROR
 * only, when `noErrorOnly`). How the NSD peers here tell that a server is up.
 */
export function answersQuery(host: string, port: number, name: string, type: number, noErrorOnly = false): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(false), 300);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    socket.on('error', () => finish(false));
    socket.on('message', (msg: Buffer) => finish(!noErrorOnly || (msg[3]! & 0x0f) === 0));
    socket.send(encodeQuery(0x5353, name, type), port, host);
  });
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
