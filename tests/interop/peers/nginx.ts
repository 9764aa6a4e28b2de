// A real nginx on loopback for the http-get interop tests and benchmarks: a config,
// a docroot and a test CA with certificates (good, wrong name, expired, self-signed),
// all generated in a temp dir; listening on 127.0.0.1 and [::1] on free ports;
// stopped by its PID. Never the distribution's config.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPorts, acceptsTcp } from '../../helpers/ports.js';
import { startProcess, waitFor, type Started } from '../../helpers/process.js';

export interface NginxPorts {
  /** Plain http on 127.0.0.1 and [::1]. */
  http: number;
  /** https with a certificate for localhost / 127.0.0.1 / ::1 signed by the test CA. */
  https: number;
  /** https, CA-signed, for wrong.example only. */
  wrongName: number;
  /** https, CA-signed, expired in 2020. */
  expired: number;
  /** https, self-signed for localhost / 127.0.0.1. */
  selfSigned: number;
  /** https with ALPN h2 and http/1.1 (`listen ... ssl http2`), the good certificate. */
  h2: number;
}

export interface Nginx {
  dir: string;
  docroot: string;
  /** PEM of the test CA, for --cacert. */
  caFile: string;
  ports: NginxPorts;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Extra files to create in the docroot: name → contents or a size in bytes of random data. */
  files?: Record<string, string | Buffer>;
  /** Extra `location` blocks for the plain and https servers (use $PORT for the http port). */
  locations?: string;
  /** Extra directives for the plain http server only (a `listen unix:…;`, an `access_log`). */
  plainServer?: string;
  /** Extra directives in the `http` block (a `log_format`). */
  httpBlock?: string;
}

export async function startNginx(options: NginxOptions = {}): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-nginx-'));
  // nginx workers run as an unprivileged user when started as root: let them read.
  chmodSync(dir, 0o755);
  const docroot = join(dir, 'www');
  mkdirSync(docroot, { mode: 0o755 });
  for (const sub of ['logs', 'tmp']) mkdirSync(join(dir, sub), { mode: 0o777 });
  for (const [name, contents] of Object.entries(options.files ?? {})) writeFileSync(join(docroot, name), contents, { mode: 0o644 });
  const certs = makeCertificates(join(dir, 'pki'));
  const [http, https, wrongName, expired, selfSigned, h2] = await freeTcpPorts(6);
  const ports: NginxPorts = { http: http!, https: https!, wrongName: wrongName!, expired: expired!, selfSigned: selfSigned!, h2: h2! };
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, docroot, ports, certs, (options.locations ?? '').replaceAll('$PORT', String(ports.http)), options));
  const nginx: Started = startProcess('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'logs', 'error.log')]);
  try {
    for (const port of Object.values(ports)) await waitFor(() => acceptsTcp(port), 10000, `nginx on port ${port}`);
  } catch (err) {
    await nginx.stop('SIGTERM');
    throw new Error(`${(err as Error).message}\n${nginx.output()}`);
  }
  return {
    dir,
    docroot,
    caFile: certs.ca,
    ports,
    stop: async () => {
      // SIGTERM is nginx's "fast shutdown"; the master waits for its workers.
      await nginx.stop('SIGTERM', 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}


export interface CertPaths {
  ca: string;
  good: [cert: string, key: string];
  wrongName: [string, string];
  expired: [string, string];
  selfSigned: [string, string];
  /** A client certificate from the test CA (mutual TLS). */
  client: [string, string];
}

/** A test CA and four server certificates, made with the openssl CLI. */
export function makeCertificates(dir: string): CertPaths {
  mkdirSync(join(dir, 'newcerts'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  const reqConf = join(dir, 'req.cnf');
  writeFileSync(reqConf, '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n');
  const caConf = join(dir, 'ca.cnf');
  writeFileSync(
    caConf,
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir/newcerts',
      'serial = $dir/serial',
      'policy = any',
      'default_md = sha256',
      'copy_extensions = copy',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  openssl('req', '-config', reqConf, '-x509', ...ec, '-keyout', caKey, '-out', ca, '-days', '30', '-subj', '/CN=sockkit test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const signed = (name: string, cn: string, san: string, dates: string[]): [string, string] => {
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.pem`);
    openssl('req', '-config', reqConf, '-new', ...ec, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`);
    openssl('ca', '-batch', '-config', caConf, '-cert', ca, '-keyfile', caKey, '-in', csr, '-out', cert, '-notext', ...dates);
    return [cert, key];
  };
  const localSan = 'DNS:localhost,IP:127.0.0.1,IP:::1';
  const good = signed('good', 'localhost', localSan, ['-days', '30']);
  const wrongName = signed('wrong', 'wrong.example', 'DNS:wrong.example', ['-days', '30']);
  const expired = signed('expired', 'localhost', localSan, ['-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  const selfCert = join(dir, 'self.pem');
  const selfKey = join(dir, 'self.key');
  openssl('req', '-config', reqConf, '-x509', ...ec, '-keyout', selfKey, '-out', selfCert, '-days', '30', '-subj', '/CN=localhost',
    '-addext', `subjectAltName=${localSan}`);
  const client = signed('client', 'sockkit test client', 'DNS:client.test', ['-days', '30']);
  for (const f of [good[1], wrongName[1], expired[1], selfKey, client[1]]) chmodSync(f, 0o644);
  return { ca, good, wrongName, expired, selfSigned: [selfCert, selfKey], client };
}

function nginxConfig(dir: string, docroot: string, ports: NginxPorts, certs: CertPaths, locations: string, extra: Pick<NginxOptions, 'plainServer' | 'httpBlock'> = {}): string {
  const common = `
        root ${docroot};
        location /redirect/301 { return 301 /small.txt; }
        location /redirect/302 { return 302 /small.txt; }
        location /redirect/303 { return 303 /small.txt; }
        location /redirect/307 { return 307 /small.txt; }
        location /redirect/308 { return 308 /small.txt; }
        location /redirect/absolute { return 301 http://127.0.0.1:${ports.http}/small.txt; }
        location /redirect/relative { return 302 ../small.txt; }
        location /redirect/loop-a { return 302 /redirect/loop-b; }
        location /redirect/loop-b { return 302 /redirect/loop-a; }
        location /redirect/file { return 302 file:///etc/passwd; }
        location /redirect/chain { return 302 /redirect/301; }
        location /no-content { return 204; }
        ${locations}`;
  const tlsServer = (port: number, [cert, key]: [string, string], http2 = false) => `
    server {
        listen 127.0.0.1:${port} ssl${http2 ? ' http2' : ''};
        listen [::1]:${port} ssl${http2 ? ' http2' : ''};
        ssl_certificate ${cert};
        ssl_certificate_key ${key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ${common}
    }`;
  return `
daemon off;
master_process on;
worker_processes 1;
user root;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs', 'error.log')} warn;
events { worker_connections 256; }
http {
    access_log ${join(dir, 'logs', 'access.log')};
    client_body_temp_path ${join(dir, 'tmp', 'body')};
    proxy_temp_path ${join(dir, 'tmp', 'proxy')};
    fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
    scgi_temp_path ${join(dir, 'tmp', 'scgi')};
    types { text/plain txt; text/html html; application/octet-stream bin; application/json json; }
    default_type application/octet-stream;
    sendfile on;
    gzip on;
    gzip_min_length 1;
    gzip_types text/plain application/json;
    gzip_http_version 1.0;
    ${extra.httpBlock ?? ''}
    server {
        listen 127.0.0.1:${ports.http};
        listen [::1]:${ports.http};
        ${extra.plainServer ?? ''}
        ${common}
    }
    ${tlsServer(ports.https, certs.good)}
    ${tlsServer(ports.wrongName, certs.wrongName)}
    ${tlsServer(ports.expired, certs.expired)}
    ${tlsServer(ports.selfSigned, certs.selfSigned)}
    ${tlsServer(ports.h2, certs.good, true)}
}
`;
}
