// The TLS flags of the servers (echo-server, threaded-server) and of echo-client:
// declared once, checked once, and turned into a secure context (socket/tls-server.ts,
// socket/tls.ts). PEM files are read bounded; what OpenSSL then refuses (a key that
// does not match its certificate, a broken PEM) is a usage error naming the flags, exit 2.
import type { OptionSpecs } from './options.js';
import { usageError } from '../net/shared/errors.js';
import { readBoundedFile } from '../net/shared/read-input.js';
import type { TlsServerConfig, TlsServerFiles } from '../net/socket/tls-server.js';
import type { TlsClientOptions } from '../net/socket/tls.js';
import type { Terminal } from '../output/terminal.js';
import type { TraceFn } from '../net/shared/trace.js';

const MAX_PEM_FILE_BYTES = 1024 * 1024;

export const TLS_SERVER_OPTIONS: OptionSpecs = {
  tls: { type: 'boolean', describe: 'TLS on every TCP connection (with --cert and --key)' },
  cert: { type: 'string', requiresArg: true, describe: 'PEM certificate (chain) the server presents (--tls)' },
  key: { type: 'string', requiresArg: true, describe: 'PEM private key of --cert (--tls)' },
  cacert: { type: 'string', requiresArg: true, describe: 'PEM CA certificates that client certificates must chain to (--tls)' },
  'require-client-cert': { type: 'boolean', describe: 'mutual TLS: refuse clients without a certificate from --cacert' },
  alpn: { type: 'string', requiresArg: true, describe: 'ALPN protocols to accept, comma-separated, most preferred first (--tls)' },
};

export interface TlsServerArgs {
  tls?: boolean;
  cert?: string;
  key?: string;
  cacert?: string;
  'require-client-cert'?: boolean;
  alpn?: string;
}

/** The flags as plain data a worker process can rebuild the context from. */
export async function tlsServerFiles(args: TlsServerArgs): Promise<TlsServerFiles | undefined> {
  if (!args.tls) {
    const stray = (['cert', 'key', 'cacert', 'require-client-cert', 'alpn'] as const).find((flag) => args[flag] !== undefined && args[flag] !== false);
    if (stray) throw usageError(`--${stray}`, 'it is only used with --tls');
    return undefined;
  }
  if (args.cert === undefined || args.key === undefined) throw usageError('--tls', 'it needs --cert FILE and --key FILE (PEM)');
  if (args['require-client-cert'] && args.cacert === undefined) {
    throw usageError('--require-client-cert', 'it needs --cacert FILE: the CAs client certificates must chain to');
  }
  return {
    cert: await readPem(args.cert, '--cert', 'CERTIFICATE'),
    key: await readPem(args.key, '--key', 'PRIVATE KEY'),
    ca: args.cacert !== undefined ? await readPem(args.cacert, '--cacert', 'CERTIFICATE') : undefined,
    requireClientCert: args['require-client-cert'] === true,
    alpn: parseAlpn(args.alpn),
  };
}

export async function tlsServerFromArgs(args: TlsServerArgs): Promise<TlsServerConfig | undefined> {
  const files = await tlsServerFiles(args);
  // node:tls loads only with --tls.
  return files && (await import('../net/socket/tls-server.js')).tlsServerConfig(files);
}

/** `h2,http/1.1` → ['h2', 'http/1.1']: each 1–255 bytes of printable ASCII (RFC 7301). */
export function parseAlpn(list: string | undefined): string[] {
  if (list === undefined) return [];
  const protocols = list.split(',').map((p) => p.trim());
  for (const protocol of protocols) {
    if (!/^[\x21-\x7e]{1,255}$/.test(protocol)) throw usageError(`bad --alpn ${JSON.stringify(list)}`, 'each protocol is 1 to 255 printable characters, separated by commas');
  }
  return protocols;
}

async function readPem(path: string, flag: string, label: string): Promise<string> {
  let text: string;
  try {
    text = (await readBoundedFile(path, MAX_PEM_FILE_BYTES)).toString('latin1');
  } catch (err) {
    throw usageError(`bad ${flag} ${path}`, err instanceof Error && 'why' in err ? String((err as { why: unknown }).why) : String(err));
  }
  if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(text)) throw usageError(`bad ${flag} ${path}`, `no PEM ${label.toLowerCase()} in it`);
  return text;
}

export const TLS_CLIENT_OPTIONS: OptionSpecs = {
  tls: { type: 'boolean', describe: 'speak TLS to the server (certificate verified against --servername or the host)' },
  cacert: { type: 'string', requiresArg: true, describe: "PEM CA certificates to trust instead of Node's bundled ones (--tls)" },
  insecure: { alias: 'k', type: 'boolean', describe: 'do not verify the server certificate (warns; --tls)' },
  servername: { type: 'string', requiresArg: true, describe: 'the name sent as SNI and checked in the certificate (default: the host) (--tls)' },
  alpn: { type: 'string', requiresArg: true, describe: 'ALPN protocols to offer, comma-separated (--tls)' },
  cert: { type: 'string', requiresArg: true, describe: 'PEM client certificate, for servers that ask for one (--tls, with --key)' },
  key: { type: 'string', requiresArg: true, describe: 'PEM private key of --cert (--tls)' },
};

export interface TlsClientArgs {
  tls?: boolean;
  cacert?: string;
  insecure?: boolean;
  servername?: string;
  alpn?: string;
  cert?: string;
  key?: string;
}

/** The client's TLS options, or undefined without --tls (then any TLS flag is a usage error). */
export async function tlsClientFromArgs(args: TlsClientArgs, host: string, term: Terminal, trace: TraceFn): Promise<TlsClientOptions | undefined> {
  if (!args.tls) {
    const stray = (['cacert', 'insecure', 'servername', 'alpn', 'cert', 'key'] as const).find((flag) => args[flag] !== undefined && args[flag] !== false);
    if (stray) throw usageError(`--${stray}`, 'it is only used with --tls');
    return undefined;
  }
  if ((args.cert === undefined) !== (args.key === undefined)) throw usageError(args.cert ? '--cert' : '--key', 'a client certificate needs both --cert FILE and --key FILE');
  // node:tls (which these load) only with --tls.
  const { clientTrust } = await import('./trust.js');
  const { secureContextFor } = await import('../net/socket/tls.js');
  // --cacert, or Node's roots plus NODE_EXTRA_CA_CERTS as bin/sockkit handed it over.
  const ca = await clientTrust(args.cacert, term, trace, args.insecure);
  const identity = args.cert !== undefined ? { cert: await readPem(args.cert, '--cert', 'CERTIFICATE'), key: await readPem(args.key!, '--key', 'PRIVATE KEY') } : undefined;
  let secureContext;
  try {
    secureContext = secureContextFor(ca, { identity });
  } catch (err) {
    throw usageError('bad --cert/--key', `OpenSSL refused them: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (args.insecure) term.warn('the server certificate is not verified (--insecure)');
  if (args.servername !== undefined && !/^[A-Za-z0-9._-]{1,253}$/.test(args.servername)) throw usageError(`bad --servername '${args.servername}'`, 'expected a host name');
  return { host: args.servername ?? host, alpn: parseAlpn(args.alpn), secureContext, insecure: args.insecure === true };
}
