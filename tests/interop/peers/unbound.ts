// Starts unbound as a DNS-over-TLS server on 127.0.0.1 (a free port), and with
// `{ https: true }` as a DNS-over-HTTPS one on another (HTTP/2, path /dns-query), answering only
// its own local data (never recursing anywhere), with a certificate from the test CA
// (peers/nginx.ts: makeCertificates). Run in the foreground with its own config, never
// the packaged service; stopped by its PID.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPorts, acceptsTcp } from '../../helpers/ports.js';
import { startProcess, waitFor, type Started } from '../../helpers/process.js';

export interface UnboundPeer {
  /** The DoT port. */
  tlsPort: number;
  /** The DoH port (0 unless asked for). */
  httpsPort: number;
  dir: string;
  process: Started;
  stop: () => Promise<void>;
}

export const UNBOUND_LOCAL_DATA = [
  'www.tls.example.test. 60 IN A 192.0.2.80',
  'www.tls.example.test. 60 IN AAAA 2001:db8::80',
  'www.tls.example.test. 60 IN TXT "over tls"',
  'mail.tls.example.test. 60 IN MX 10 mx.tls.example.test.',
];

/** `cert`/`key`: the server's certificate (PEM files). */
export async function startUnbound(cert: string, key: string, extraLocalData: string[] = [], options: { https?: boolean } = {}): Promise<UnboundPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-unbound-'));
  const [tlsPort, httpsPort = 0] = (await freeTcpPorts(options.https ? 2 : 1)) as [number, number?];
  const https = httpsPort ? `  interface: 127.0.0.1@${httpsPort}\n  https-port: ${httpsPort}\n` : '';
  const config = `server:
  interface: 127.0.0.1@${tlsPort}
${https}  tls-port: ${tlsPort}
  tls-service-key: "${key}"
  tls-service-pem: "${cert}"
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: "${dir}/unbound.log"
  module-config: "iterator"
  do-not-query-localhost: yes
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  incoming-num-tcp: 100
  local-zone: "." refuse
  local-zone: "test." nodefault
  local-zone: "tls.example.test." static
${[...UNBOUND_LOCAL_DATA, ...extraLocalData].map((d) => `  local-data: '${d}'`).join('\n')}
remote-control:
  control-enable: no
`;
  const configPath = join(dir, 'unbound.conf');
  writeFileSync(configPath, config);
  const unbound = startProcess('unbound', ['-d', '-c', configPath]);
  try {
    await waitFor(async () => (await acceptsTcp(tlsPort)) && (!httpsPort || (await acceptsTcp(httpsPort))), 10000, 'unbound to listen');
  } catch (err) {
    await unbound.stop();
    let log = '';
    try {
      log = readFileSync(join(dir, 'unbound.log'), 'utf8');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${unbound.output()}\n${log}`);
  }
  return {
    tlsPort,
    httpsPort,
    dir,
    process: unbound,
    stop: async () => {
      await unbound.stop('SIGTERM', 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}


/**
 * For the Happy Eyeballs tests (run with runSockkit's resolvConf and hostsFile, inside the
 * sandbox): `name` resolves to ::1 first, where no unbound listens, then to 127.0.0.1,
 * where it does. A client that connects to a name's first address only is refused.
 */
export function nameWithDeadFirstAddress(dir: string, name: string): { resolvConf: string; hostsFile: string } {
  const hostsFile = join(dir, 'hosts');
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(hostsFile, `::1 ${name}\n127.0.0.1 ${name}\n`);
  writeFileSync(resolvConf, 'nameserver 127.0.0.53\noptions timeout:1 attempts:1\n');
  return { resolvConf, hostsFile };
}
