// Unix-domain stream sockets for echo-server and bind, with nc -U and socat as the
// other end: file paths and abstract names, permissions, and the stale socket file a
// killed server leaves behind (detected by connecting, replaced only with --unlink).
import { expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { shell as sh, waitFor } from '../helpers/process.js';
import { echoServersInTempDir } from '../e2e/echo-server-process.js';


describeWithPeers('Unix-domain sockets with nc -U and socat', ['socat', 'nc'], () => {
  const scratch = echoServersInTempDir('sockkit-unix-');
  const start = (args: string[]) => scratch.start(args);

  test('echo-server --unix PATH: nc -U and socat get their bytes back; the file shows its permissions and goes at the stop', async () => {
    const path = join(scratch.dir, 'echo.sock');
    const server = await start(['--unix', path]);
    const listening = server.events()[0]!;
    const mode = statSync(path).mode & 0o777;
    expect(listening).toMatchObject({ event: 'listening', protocol: 'unix', path, abstract: false, owner: 'root' });
    expect(listening.mode).toBe(`s${[...'rwxrwxrwx'].map((c, i) => (mode & (0o400 >> i) ? c : '-')).join('')}`);
    const payload = 'a line\n'.repeat(20_000);
    writeFileSync(join(scratch.dir, 'payload'), payload);
    expect(await sh(`nc -N -U ${path} < ${join(scratch.dir, 'payload')}`)).toBe(payload);
    expect(await sh(`printf via-socat | socat -T 5 - UNIX-CONNECT:${path}`)).toBe('via-socat');
    await waitFor(() => server.events().filter((e) => e.event === 'disconnect').length === 2, 5000, 'two disconnects');
    expect(server.events().find((e) => e.event === 'disconnect')).toMatchObject({ protocol: 'unix', bytesIn: payload.length, bytesOut: payload.length, reason: 'closed' });
    expect((await server.stop()).code).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  test('an abstract name (@name) has no file and no permissions; the kernel lists it and a client reaches it', async () => {
    const name = `sockkit-test-${process.pid}`;
    const server = await start(['--unix', `@${name}`]);
    expect(server.events()[0]).toMatchObject({ protocol: 'unix', path: `@${name}`, abstract: true, mode: null });
    // Node 20's libuv binds an abstract name padded with NULs to the whole of sun_path
    // (libuv #4028), which /proc/net/unix shows as trailing @s; a client that pads the
    // same way (any Node program, sockkit echo-client) reaches it; so does socat with
    // unix-tightsocklen=0, but not with its default exact-length address.
    expect(readFileSync('/proc/net/unix', 'latin1')).toMatch(new RegExp(`@${name}@*\\n`));
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ path: `\0${name}` });
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve(got));
      socket.end('abstract');
    });
    expect(reply).toBe('abstract');
    // socat pads the same way with unix-tightsocklen=0, and then reaches it; without, it is refused.
    expect(await sh(`printf via-socat | socat -T 5 - ABSTRACT-CONNECT:${name},unix-tightsocklen=0`)).toBe('via-socat');
    await expect(sh(`printf x | socat -T 5 - ABSTRACT-CONNECT:${name}`)).rejects.toThrow(/Connection refused/);
  });

  test('echo-client --unix @name reaches socat ABSTRACT-LISTEN (unix-tightsocklen=0) and checks the echo', async () => {
    const name = `sockkit-socat-${process.pid}`;
    const socat = spawn('socat', [`ABSTRACT-LISTEN:${name},unix-tightsocklen=0,fork`, 'EXEC:cat'], { stdio: 'ignore' });
    try {
      await waitFor(() => readFileSync('/proc/net/unix', 'latin1').includes(`@${name}`), 5000, 'socat to listen');
      const r = await runSockkit(['echo-client', '--unix', `@${name}`, '--message', 'abstract-ping', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ protocol: 'unix', address: `@${name}`, bytesSent: 13, bytesReceived: 13, identical: true });
    } finally {
      socat.kill('SIGKILL');
    }
  });

  test('echo-client --unix to a path with no socket file: exit 4 naming the missing file, as http-get --unix-socket', async () => {
    const path = join(scratch.dir, 'absent.sock');
    const r = await runSockkit(['echo-client', '--unix', path, '--message', 'hi']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 4, stderr: `sockkit echo-client: connect ${path}: no such socket file (is the server listening there?)\n` });
  });

  test('a stale socket file from a killed server: refused (exit 8) until --unlink; a live one or a plain file: never replaced', async () => {
    const path = join(scratch.dir, 'stale.sock');
    const first = await start(['--unix', path]);
    expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL');
    expect(statSync(path).isSocket()).toBe(true);

    const refused = await runSockkit(['echo-server', '--unix', path]);
    expect(refused.code).toBe(8);
    expect(refused.stderr).toMatch(/stale socket file: nothing listens on it.*--unlink/);

    const second = await start(['--unix', path, '--unlink']);
    expect(await sh(`printf back | nc -N -U ${path}`)).toBe('back');
    const busy = await runSockkit(['echo-server', '--unix', path, '--unlink']);
    expect(busy.code).toBe(8);
    expect(busy.stderr).toMatch(/a server is listening on it/);
    expect(await sh(`printf still | nc -N -U ${path}`)).toBe('still');
    await second.stop();

    const plain = join(scratch.dir, 'plain-file');
    writeFileSync(plain, 'keep me');
    const notSocket = await runSockkit(['echo-server', '--unix', plain, '--unlink']);
    expect(notSocket.code).toBe(8);
    expect(notSocket.stderr).toMatch(/exists and is not a socket/);
    expect(readFileSync(plain, 'utf8')).toBe('keep me');
  });

  test('bind --unix reports the path and permissions; bad forms are usage errors', async () => {
    const path = join(scratch.dir, 'bound.sock');
    const r = await runSockkit(['bind', '--unix', path, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ protocol: 'unix', path, abstract: false, listening: true, held: false });
    expect(JSON.parse(r.stdout).mode).toMatch(/^s[rwx-]{9}$/);
    expect(existsSync(path)).toBe(false); // closed, and the file with it
    for (const [args, message] of [
      [['echo-server', '--unix', path, '--port', '7'], /a path, not a port/],
      [['echo-server', '--unlink'], /only used with --unix/],
      [['bind', '--unix', 'x'.repeat(108)], /longer than 107 bytes/],
      [['bind', '--unix', '@'], /at least one character after @/],
    ] as Array<[string[], RegExp]>) {
      const bad = await runSockkit(args);
      expect({ args, code: bad.code }).toEqual({ args, code: 2 });
      expect(bad.stderr).toMatch(message);
    }
  });
});
