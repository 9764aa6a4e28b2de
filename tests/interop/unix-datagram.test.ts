// Unix datagram sockets (--udp --unix) for bind, echo-server and echo-client, with socat's
// UNIX-SENDTO and UNIX-RECVFROM as the other end. Node's dgram has no AF_UNIX: these come
// from the native part of node-unix-socket, an optional dependency (socket/unix-dgram.ts). A datagram's sender
// is known by the path it bound, so socat's client binds one (bind=), as sockkit's does.
import { expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { shell as sh, waitFor } from '../helpers/process.js';
import { echoServersInTempDir } from '../e2e/echo-server-process.js';


describeWithPeers('Unix datagram sockets with socat UNIX-SENDTO / UNIX-RECVFROM', ['socat'], () => {
  const scratch = echoServersInTempDir('sockkit-udgram-');
  const start = (args: string[]) => scratch.start(args);

  test('echo-server --udp --unix: socat UNIX-SENDTO (bound to a path of its own) gets each datagram back; the file goes at the stop', async () => {
    const path = join(scratch.dir, 'server.sock');
    const server = await start(['--udp', '--unix', path]);
    expect(server.events()[0]).toMatchObject({ event: 'listening', protocol: 'unix', path, datagram: true, owner: 'root' });
    expect(statSync(path).isSocket()).toBe(true);
    for (const [i, text] of ['first datagram', 'second'].entries()) {
      const client = join(scratch.dir, `socat-${i}.sock`);
      expect(await sh(`printf '${text}' | socat -t 1 - UNIX-SENDTO:${path},bind=${client}`)).toBe(text);
    }
    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
    expect(server.events().find((e) => e.event === 'summary')).toMatchObject({ datagrams: 2, datagramBytes: 'first datagram'.length + 'second'.length });
    expect(existsSync(path)).toBe(false);
  });

  test('echo-client --udp --unix against socat UNIX-RECVFROM … EXEC:cat: message, --count and load mode, every echo identical', async () => {
    const path = join(scratch.dir, 'socat-echo.sock');
    const socat = spawn('socat', [`UNIX-RECVFROM:${path},fork`, 'EXEC:cat'], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(path), 5000, 'socat to bind');
      const message = await runSockkit(['echo-client', '--udp', '--unix', path, '-m', 'over a datagram', '--json']);
      expect(message.code).toBe(0);
      expect(JSON.parse(message.stdout)).toMatchObject({ protocol: 'unix', address: path, bytesSent: 15, bytesReceived: 15, identical: true });
      const count = await runSockkit(['echo-client', '--udp', '--unix', path, '--count', '5', '--json']);
      expect(count.code).toBe(0);
      expect(JSON.parse(count.stdout)).toMatchObject({ protocol: 'unix', summary: { sent: 5, received: 5, lost: 0, mismatched: 0 } });
      const load = await runSockkit(['echo-client', '--udp', '--unix', path, '-C', '4', '-d', '1', '--json'], { killAfterMs: 20_000 });
      expect(load.code).toBe(0);
      const doc = JSON.parse(load.stdout);
      expect(doc).toMatchObject({ mode: 'load', protocol: 'unix', mismatches: 0, duplicates: 0 });
      expect(doc.echoed).toBeGreaterThan(0);
    } finally {
      socat.kill('SIGKILL');
    }
  });

  test("sockkit's client and server together; the client's bound path is its own and removed", async () => {
    const path = join(scratch.dir, 'both.sock');
    const server = await start(['--udp', '--unix', path]);
    const r = await runSockkit(['echo-client', '--udp', '--unix', path, '-m', 'x'.repeat(1000), '--trace']);
    expect(r.code).toBe(0);
    const own = /bind\s+(\S+client\.sock)/.exec(r.stderr)?.[1];
    expect(own).toBeDefined();
    expect(existsSync(own!)).toBe(false);
    await server.stop();
    expect(server.events().find((e) => e.event === 'summary')).toMatchObject({ datagrams: 1, datagramBytes: 1000 });
  });

  test('bind --udp --unix: the path and its permissions, then closed and removed; refusals by name', async () => {
    const path = join(scratch.dir, 'bound.sock');
    const r = await runSockkit(['bind', '--udp', '--unix', path, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ protocol: 'unix', type: 'datagram', path, owner: 'root' });
    expect(doc.mode).toMatch(/^s[rwx-]{9}$/);
    expect(existsSync(path)).toBe(false);

    const nobody = await runSockkit(['echo-client', '--udp', '--unix', join(scratch.dir, 'nobody.sock'), '-m', 'x']);
    expect(nobody.code).toBe(4);
    const abstract = await runSockkit(['echo-server', '--udp', '--unix', '@sockkit-dgram']);
    expect(abstract.code).toBe(2);
    expect(abstract.stderr).toMatch(/take a path here, not an abstract @name/);
    const both = await runSockkit(['echo-server', '--tcp', '--udp', '--unix', path]);
    expect(both.code).toBe(2);

    // a live server's path is in use; a killed one's is stale until --unlink; a plain file is never touched
    const live = join(scratch.dir, 'live.sock');
    const first = await start(['--udp', '--unix', live]);
    expect((await runSockkit(['echo-server', '--udp', '--unix', live, '--unlink'])).stderr).toMatch(/a server is listening on it/);
    await first.stop('SIGKILL');
    const stale = await runSockkit(['echo-server', '--udp', '--unix', live]);
    expect(stale.code).toBe(8);
    expect(stale.stderr).toMatch(/stale socket file/);
    const second = await start(['--udp', '--unix', live, '--unlink']);
    expect(await sh(`printf again | socat -t 1 - UNIX-SENDTO:${live},bind=${join(scratch.dir, 'again.sock')}`)).toBe('again');
    await second.stop();
    const plain = join(scratch.dir, 'plain');
    writeFileSync(plain, 'keep');
    expect((await runSockkit(['echo-server', '--udp', '--unix', plain, '--unlink'])).code).toBe(8);
  });
});
