// resolve --iterate with the built-in IANA root hints, inside the loopback-only sandbox:
// no route leaves the machine, so every root server is unreachable at once. The walk must
// try each of the 13 (both addresses), say why, and end with exit 4 quickly: no packet
// can leave, and none is waited for.
import { expect, test } from '@jest/globals';
import { runSockkit } from '../helpers/run-sockkit.js';
import { describeInSandbox } from '../helpers/sandbox.js';

interface Step {
  zone: string;
  server: string;
  address: string;
  outcome: string;
  detail: string;
}

describeInSandbox('resolve --iterate from the built-in root servers, with no route off the machine', () => {
  test('every root server address is tried and skipped as unreachable: exit 4, one reason', async () => {
    const started = Date.now();
    const r = await runSockkit(['resolve', 'www.example.com', '-t', 'A', '--iterate', '--json', '--timeout', '2']);
    expect(r.code).toBe(4);
    const [result] = JSON.parse(r.stdout) as Array<{ status: string; error: string; steps: Step[] }>;
    expect(result!.status).toBe('unreachable');
    expect(result!.steps).toHaveLength(26);
    expect(new Set(result!.steps.map((s) => s.server)).size).toBe(13);
    expect(result!.steps.slice(0, 2).map((s) => [s.zone, s.server, s.address])).toEqual([
      ['.', 'a.root-servers.net.', '198.41.0.4:53'],
      ['.', 'a.root-servers.net.', '[2001:503:ba3e::2:30]:53'],
    ]);
    expect(result!.steps.every((s) => s.outcome === 'skipped')).toBe(true);
    expect(result!.error).toMatch(/^no server of \. gave a usable reply for A www\.example\.com\.: all 26 tried: network (is )?unreachable$/);
    expect(Date.now() - started).toBeLessThan(10000);
  });

  test('-4 asks only the IPv4 addresses; -p applies to them all', async () => {
    const r = await runSockkit(['resolve', 'www.example.com', '-t', 'A', '--iterate', '-4', '-p', '5353', '--json', '--timeout', '2']);
    expect(r.code).toBe(4);
    const [result] = JSON.parse(r.stdout) as Array<{ steps: Step[] }>;
    expect(result!.steps.map((s) => s.address)).toHaveLength(13);
    expect(result!.steps.every((s) => /^\d+\.\d+\.\d+\.\d+:5353$/.test(s.address))).toBe(true);
  });

  test('without --iterate, a server with no route to it is one UNREACHABLE row, exit 4 (a failed UDP connect is not a crash)', async () => {
    const r = await runSockkit(['resolve', 'www.example.com', '-t', 'A', '@198.41.0.4', '--timeout', '2']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^www\.example\.com\tA\t\tUNREACHABLE \(network (is )?unreachable\)\t198\.41\.0\.4:53\t/);
  });
});
