// Shell completion: `sockkit --get-yargs-completions WORDS...` (what the scripts run
// on Tab) offers subcommands, flags and choices, and never runs a command (it
// resolved the words typed, read stdin for `resolve -`); `sockkit completion bash`
// and `zsh` print scripts (both were rejected) that a shell loads.
import { describe, expect, test } from '@jest/globals';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { dirname } from 'node:path';
import { runSockkit, SOCKKIT_BIN, sockkitSpawn } from '../helpers/run-sockkit.js';
import { GLOBAL_OPTIONS, flagSpellings } from '../../src/commands/options.js';
import { COMMAND_NAMES, loadCommand } from '../../src/commands/registry.js';

const complete = (words: string[], env: NodeJS.ProcessEnv = {}) => runSockkit(['--get-yargs-completions', 'sockkit', ...words], { env, killAfterMs: 10_000 });
const offered = (stdout: string) => stdout.split('\n').filter((l) => l !== '');

/** A UDP socket that counts what reaches it: a server completion must never talk to. */
async function listening(): Promise<{ port: number; received: () => number; close: () => void }> {
  const socket = createSocket('udp4');
  let count = 0;
  socket.on('message', () => count++);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, received: () => count, close: () => socket.close() };
}

describe('--get-yargs-completions offers, never runs', () => {
  test.each(COMMAND_NAMES)('%s --: every flag of the command and the global ones, as they are written', async (name) => {
    const command = await loadCommand(name);
    const r = await complete([name, '--']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const words = offered(r.stdout);
    for (const [flag, option] of Object.entries({ ...GLOBAL_OPTIONS, ...command.commandLine.options })) {
      expect(words).toContain(`--${flag}`);
      if (option.alias?.length === 1) expect(words).not.toContain(`--${option.alias}`); // `--4` is no flag
    }
    for (const word of words) expect(word).toMatch(/^--[a-z][a-z0-9.-]*$/); // only what starts with `--` (curl-style --http1.1 has a dot)
  });

  test('a lone `-` offers the one-letter spellings too (-4, -6, -s, -t)', async () => {
    const words = offered((await complete(['resolve', 'example.test', '-'])).stdout);
    expect(words).toEqual(expect.arrayContaining(['-4', '-6', '-s', '-t', '-c', '-q', '--server', '--no-color']));
    expect(words).not.toContain('--4');
  });

  test('subcommands, by prefix', async () => {
    const all = offered((await complete([''])).stdout);
    expect(all).toEqual([...COMMAND_NAMES, 'completion']);
    expect(offered((await complete(['res'])).stdout)).toEqual(['resolve']);
  });

  test("a flag's choices, and the shells of `completion`", async () => {
    expect(offered((await complete(['service', '--proto', ''])).stdout)).toEqual(['tcp', 'udp']);
    expect(offered((await complete(['completion', ''])).stdout)).toEqual(['bash', 'zsh']);
    expect(offered((await complete(['http-get', '--cacert', ''])).stdout)).toEqual([]); // a file: the shell completes it
  });

  test('a flag that takes one value is not offered again once given', async () => {
    const words = offered((await complete(['resolve', 'x', '--class', 'CH', '--'])).stdout);
    expect(words).not.toContain('--class');
    expect(words).toContain('--type'); // repeatable
    expect(words).toContain('--server'); // repeatable: every server is asked
  });

  test('for zsh, each flag comes with its description', async () => {
    const words = offered((await complete(['resolve', '--se'], { SOCKKIT_COMPLETION_SHELL: 'zsh' })).stdout);
    expect(words).toEqual([expect.stringMatching(/^--server:ask this DNS server directly/)]);
  });

  test('resolve - : stdin is never read (it waited for stdin to end)', async () => {
    const [file, argv, env] = sockkitSpawn(['--get-yargs-completions', 'sockkit', 'resolve', '-', '']);
    const child = spawn(file, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] }); // stdin stays open, empty
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    clearTimeout(timer);
    child.stdin.destroy();
    expect(code).toBe(0);
    expect(offered(stdout)).toContain('--server');
  });

  test.each([
    ['ntp', (port: number) => ['ntp', '127.0.0.1', '--port', String(port), '--']],
    ['ntp', (port: number) => ['ntp', `127.0.0.1:${port}`, '']],
    ['resolve', (port: number) => ['resolve', 'example.test', '--server', `127.0.0.1:${port}`, '--']],
    ['echo-client', (port: number) => ['echo-client', '--port', String(port), '--udp', '--message', 'hi', '--']],
  ])('%s: nothing is sent to the server typed', async (_, words) => {
    const server = await listening();
    try {
      const r = await complete(words(server.port));
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/127\.0\.0\.1/); // no result printed
      await new Promise((resolve) => setTimeout(resolve, 200)); // a datagram on its way would be here by now
      expect(server.received()).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('sockkit completion bash|zsh', () => {
  const bash = (script: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      // `sockkit` on PATH, as after npm install -g
      const env = { ...process.env, PATH: `${dirname(SOCKKIT_BIN)}:${process.env.PATH}`, NO_COLOR: '1' };
      execFile('bash', ['--norc', '--noprofile', '-c', script], { env }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  test('bash: a valid script (bash -n) that registers sockkit (complete -p) and completes on Tab', async () => {
    const r = await runSockkit(['completion', 'bash']);
    expect(r.code).toBe(0);
    execFileSync('bash', ['-n'], { input: r.stdout }); // throws on a syntax error
    const loaded = await bash('source <(sockkit completion bash) && complete -p sockkit');
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout).toMatch(/^complete .*-F _sockkit_completions sockkit$/m);
    const tab = await bash(
      [
        'source <(sockkit completion bash)',
        'COMP_WORDS=(sockkit res); COMP_CWORD=1; _sockkit_completions; echo "1: ${COMPREPLY[*]}"',
        'COMP_WORDS=(sockkit resolve x --ser); COMP_CWORD=3; _sockkit_completions; echo "2: ${COMPREPLY[*]}"',
        'COMP_WORDS=(sockkit service --proto ""); COMP_CWORD=3; _sockkit_completions; echo "3: ${COMPREPLY[*]}"',
        'COMP_WORDS=(sockkit resolve -); COMP_CWORD=2; _sockkit_completions; echo "4: ${#COMPREPLY[@]}"',
      ].join('\n'),
    );
    expect(tab.stdout).toMatch(/^1: resolve$/m);
    expect(tab.stdout).toMatch(/^2: --server$/m);
    expect(tab.stdout).toMatch(/^3: tcp udp$/m);
    expect(tab.stdout).toMatch(/^4: [1-9]\d*$/m);
  });

  test('zsh: its own script, registered with compdef', async () => {
    const r = await runSockkit(['completion', 'zsh']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#compdef sockkit$/m);
    expect(r.stdout).toMatch(/compdef _sockkit_completions sockkit/);
    expect(r.stdout).toMatch(/SOCKKIT_COMPLETION_SHELL=zsh sockkit --get-yargs-completions/);
    let hasZsh = true;
    try {
      execFileSync('zsh', ['-c', 'true']);
    } catch {
      hasZsh = false;
    }
    if (!hasZsh) {
      console.warn('zsh is not installed: the zsh script is checked by its text only');
      return;
    }
    execFileSync('zsh', ['-n'], { input: r.stdout }); // throws on a syntax error
    // Loaded after compinit, it registers itself; called as the completion system
    // calls it (words, CURRENT), it hands _describe the candidates with descriptions.
    const script = [
      'autoload -Uz compinit && compinit -u',
      'source <(sockkit completion zsh)',
      'echo "registered: ${_comps[sockkit]}"',
      "_describe() { echo \"$1: ${(j:|:)${(P)2}}\"; }",
      '_default() { echo default; }',
      "words=(sockkit resolve --se); CURRENT=3; _sockkit_completions",
      "words=(sockkit res); CURRENT=2; _sockkit_completions",
      "words=(sockkit http-get --cacert ''); CURRENT=4; _sockkit_completions",
    ].join('\n');
    const env = { ...process.env, PATH: `${dirname(SOCKKIT_BIN)}:${process.env.PATH}`, NO_COLOR: '1' };
    const out = execFileSync('zsh', ['-f', '-c', script], { env }).toString();
    expect(out.split('\n')).toEqual([
      'registered: _sockkit_completions',
      expect.stringMatching(/^sockkit: --server:ask this DNS server directly/),
      expect.stringMatching(/^sockkit: resolve:resolve names to addresses/),
      'default',
      '',
    ]);
  });

  test('without a shell named: zsh when $SHELL is zsh, else bash; another shell is a usage error', async () => {
    expect((await runSockkit(['completion'], { env: { SHELL: '/bin/bash' } })).stdout).toMatch(/complete -o bashdefault/);
    expect((await runSockkit(['completion'], { env: { SHELL: '/usr/bin/zsh' } })).stdout).toMatch(/^#compdef sockkit/);
    const fish = await runSockkit(['completion', 'fish']);
    expect(fish.code).toBe(2);
    expect(fish.stderr).toMatch(/Choices: "bash", "zsh"/);
  });
});
