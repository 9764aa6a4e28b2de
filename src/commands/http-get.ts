// sockkit http-get: flags → options → fetch (src/net/http/client.ts) → renderers
// (src/output/http*.ts). The request and response bytes are written and parsed by
// sockkit itself on a raw TCP/TLS socket, so -v and --trace show what crossed the wire.
import { defineCommand, familyOf, type CommandContext, type GlobalArgs } from './common.js';
import type { Terminal } from '../output/terminal.js';
import { FAMILY_CONFLICT, FAMILY_OPTIONS } from './options.js';
import { SockkitError, formatSeconds, toSockkitError, usageError, withMeasured } from '../net/shared/errors.js';
import { checkUnixPath } from '../net/socket/unix.js';
import { builtin } from '../net/shared/builtin.js';
import { checkWriteOut, failedWriteOutValues, renderWriteOut, writeOutValues } from '../output/write-out.js';
import { TRANSIENT_STATUSES, isTransientError, nextDelayMs, retryAfterMs, type RetryPolicy } from '../net/http/retry.js';
import { fetchFollowing, type ClientOptions, type FetchResult, type RequestHooks } from '../net/http/client.js';
import { HAPPY_EYEBALLS_DELAY_MS } from '../net/socket/connect.js';
import { parseConnectTo, parseResolve } from '../net/http/pinning.js';
import { PROXY_VARIABLES, parseProxyUrl, proxyFor, type ProxySettings } from '../net/proxy/config.js';
import { clientTrust, proxyTrust } from './trust.js';
import { discardSink, type BodySink } from '../net/http/body.js';
import { rangeHeader, type RangeAsk } from '../net/http/resume.js';
import { destinationUnderRange, rangeAskFor } from './http-get-resume.js';
import { headerValue, type HeaderList, type ResponseHead } from '../net/http/parser.js';
import { displayUrl, parseHeaderOption, parseUserUrl, type RequestSpec, type Target } from '../net/http/url.js';
import { openBodyWriter, type BodyDestination } from '../output/http-body-writer.js';
import {
  describeTls,
  httpGetDocument,
  printHead,
  printHttpGetJson,
  printTiming,
  printVerboseNote,
  printVerboseRequest,
  printVerboseResponse,
  startProgress,
  type Progress,
  type RetryNote,
} from '../output/http.js';

declare const SOCKKIT_VERSION: string;
export const VERSION = typeof SOCKKIT_VERSION === 'string' ? SOCKKIT_VERSION : '0.0.0-dev';

const DEFAULT_TOTAL_S = 300;
const DEFAULT_CONNECT_S = 10;
const DEFAULT_STALL_S = 30;

export interface HttpGetArgs {
  /** One URL here; several (a list) go to http-get-transfers.ts. */
  url: string;
  /** One -o here; repeated (a list, one per URL) only with several URLs. */
  output?: string;
  'remote-name'?: boolean;
  parallel?: boolean;
  'parallel-max': number;
  include: boolean;
  head: boolean;
  verbose: boolean;
  header?: string | string[];
  'user-agent'?: string;
  location: boolean;
  'max-redirs': number;
  fail: boolean;
  compressed: boolean;
  /** K/M/G text on the command line, bytes once checked (limits.ts). */
  'max-decoded-size': number;
  insecure: boolean;
  cacert?: string;
  'connect-timeout'?: number;
  'stall-timeout'?: number;
  timing: boolean;
  // No defaults: yargs' conflicts would count a default false as given.
  'http10'?: boolean;
  'http1.1'?: boolean;
  http2?: boolean;
  'http2-prior-knowledge'?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  'happy-eyeballs-delay': number;
  resolve?: string | string[];
  'connect-to'?: string | string[];
  proxy?: string;
  noproxy?: string;
  'proxy-cacert'?: string;
  'proxy-insecure': boolean;
  retry: number;
  'retry-delay'?: number;
  'retry-max-time'?: number;
  'write-out'?: string;
  'continue-at'?: string;
  range?: string;
  'unix-socket'?: string;
}

export default defineCommand<HttpGetArgs>({
  command: 'http-get <url..>',
  describe: 'fetch a URL over HTTP/1.1 or HTTP/2 written on a raw socket',
  positionals: {
    url: { type: 'string', demandOption: true, describe: 'http:// or https:// URL (http:// when no scheme); several are fetched in order, one connection per origin kept alive' },
  },
  options: {
    ...FAMILY_OPTIONS,
    output: { alias: 'o', type: 'string', repeatable: true, requiresArg: true, describe: "write the body to FILE ('-' = stdout, even binary); with several URLs the n-th -o is the n-th URL's" },
    'remote-name': { alias: 'O', type: 'boolean', describe: "save each URL that has no -o as the last segment of its path, in the current directory" },
    parallel: { alias: 'Z', type: 'boolean', describe: 'fetch several URLs at once; outputs still whole and in argument order' },
    'parallel-max': { type: 'number', default: 50, requiresArg: true, limit: { kind: 'integer', min: 1, max: 300 }, describe: 'with -Z, the most transfers at once' },
    include: { alias: 'i', type: 'boolean', default: false, describe: 'print the response head before the body' },
    head: { alias: 'I', type: 'boolean', default: false, describe: 'send HEAD and print the response head' },
    verbose: { alias: 'v', type: 'boolean', default: false, describe: 'show the request and response heads on stderr' },
    // Not `array: true`: that would swallow the URL after -H as another header.
    header: { alias: 'H', type: 'string', repeatable: true, requiresArg: true, describe: "extra request header 'Name: value' (repeatable; 'Name:' removes a default)" },
    'user-agent': { alias: 'A', type: 'string', requiresArg: true, describe: `User-Agent (default sockkit/${VERSION})` },
    location: { alias: 'L', type: 'boolean', default: false, describe: 'follow redirects (301 302 303 307 308), http/https only' },
    'max-redirs': { type: 'number', default: 20, requiresArg: true, limit: { kind: 'integer', min: 0 }, describe: 'with -L, the most redirects to follow' },
    fail: { alias: 'f', type: 'boolean', default: false, describe: 'status >= 400: print no body and exit 7' },
    compressed: { type: 'boolean', default: false, describe: 'ask for gzip, deflate, br and decode the body' },
    'max-decoded-size': { type: 'string', default: '1G', requiresArg: true, limit: { kind: 'bytes', min: 1 }, describe: 'with --compressed, refuse bodies that decode to more (bytes; K, M, G suffixes)' },
    insecure: { alias: 'k', type: 'boolean', default: false, describe: 'do not verify the TLS certificate (warns)' },
    cacert: { type: 'string', requiresArg: true, describe: "trust the CA certificates in this PEM file instead of Node's bundled ones" },
    'connect-timeout': { type: 'number', requiresArg: true, limit: { kind: 'seconds', min: 0, exclusive: true }, describe: `seconds for DNS + TCP connect + TLS handshake (default ${DEFAULT_CONNECT_S}, at most --timeout)` },
    'stall-timeout': { type: 'number', requiresArg: true, limit: { kind: 'seconds', min: 0, exclusive: true }, describe: `fail when no byte arrives for this many seconds (default ${DEFAULT_STALL_S}, at most --timeout)` },
    http10: { type: 'boolean', describe: 'send an HTTP/1.0 request, like curl --http1.0 (the server then closes after the body)' },
    'http1.1': { type: 'boolean', describe: 'speak HTTP/1.1 only (https offers h2 and http/1.1 in ALPN by default)' },
    http2: { type: 'boolean', describe: 'require HTTP/2 over https: a server that does not pick h2 in ALPN is an error (exit 7)' },
    'http2-prior-knowledge': { type: 'boolean', describe: 'speak HTTP/2 from the first byte: h2c on http:// URLs (h2 required on https://)' },
    'happy-eyeballs-delay': { type: 'number', default: HAPPY_EYEBALLS_DELAY_MS, requiresArg: true, limit: { kind: 'integer', min: 0, max: 60000 }, describe: 'ms before trying the next address while one is pending (RFC 8305; 0 = one at a time)' },
    resolve: { type: 'string', repeatable: true, requiresArg: true, describe: "connect to ADDR for HOST:PORT, as curl: 'HOST:PORT:ADDR[,ADDR…]' (* = any host or port; repeatable)" },
    'connect-to': { type: 'string', repeatable: true, requiresArg: true, describe: "for HOST:PORT connect to CONNECT_HOST:CONNECT_PORT instead, as curl (empty field = any / unchanged; repeatable)" },
    proxy: { alias: 'x', type: 'string', requiresArg: false, describe: "use this proxy: [http://|https://|socks5://|socks5h://][USER:PASSWORD@]HOST[:PORT] (port 1080 by default, 443 for https://; '' = none, ignoring the environment)" },
    'proxy-cacert': { type: 'string', requiresArg: true, describe: "an https:// proxy's certificate: trust the CAs in this PEM file (--cacert is the origin's only)" },
    'proxy-insecure': { type: 'boolean', default: false, describe: "an https:// proxy's certificate is not verified (warns; -k is the origin's only)" },
    noproxy: { type: 'string', requiresArg: true, describe: "hosts that skip the proxy, comma-separated: suffixes, '*', IPs, CIDR (replaces no_proxy/NO_PROXY)" },
    retry: { type: 'number', default: 0, requiresArg: true, limit: { kind: 'integer', min: 0, max: 1000 }, describe: 'retry a transient failure (timeout, refused/reset, 408 429 500 502 503 504) up to N times' },
    'retry-delay': { type: 'number', requiresArg: true, limit: { kind: 'seconds', min: 0 }, describe: 'with --retry, wait this long between tries (default: 1 s doubling; Retry-After wins)' },
    'retry-max-time': { type: 'number', requiresArg: true, limit: { kind: 'seconds', min: 0 }, describe: 'with --retry, start no retry after this many seconds (0: no limit)' },
    'write-out': { alias: 'w', type: 'string', requiresArg: true, describe: "after the body, print FORMAT with curl's %{variables} (%{http_code}, %{time_total}, %{json}…; @FILE reads it)" },
    'continue-at': { alias: 'C', type: 'string', requiresArg: true, describe: "resume at this byte offset ('-': the size of the -o FILE); a matching 206 is appended, a 200 restarts the file" },
    range: { alias: 'r', type: 'string', requiresArg: true, describe: "ask for these bytes only: A-B, A-, -N or a list (Range: bytes=…)" },
    'unix-socket': { type: 'string', requiresArg: true, describe: 'connect to this Unix-domain socket instead of the URL host (Host from the URL; no proxy)' },
    timing: { type: 'boolean', default: false, describe: 'print DNS/connect/TLS/first-byte/transfer timings instead of the body (body still goes to -o)' },
  },
  conflicts: [
    FAMILY_CONFLICT,
    ['http10', 'http1.1'],
    ['http10', 'http2'],
    ['http10', 'http2-prior-knowledge'],
    ['http1.1', 'http2'],
    ['http1.1', 'http2-prior-knowledge'],
    ['http2', 'http2-prior-knowledge'],
    ['continue-at', 'range'],
  ],
  examples: [
    ['sockkit http-get http://127.0.0.1:8080/', 'print a page'],
    ['sockkit http-get https://localhost:8443/big.iso -o big.iso', 'download a file, with a progress bar on a terminal'],
    ['sockkit http-get https://example.com/ --timing', 'show DNS, connect, TLS and transfer timings'],
    ['sockkit http-get -L -v http://127.0.0.1:8080/old', 'follow redirects, showing every request and response head'],
    ['sockkit http-get --resolve example.com:443:127.0.0.1 https://example.com/', 'connect to 127.0.0.1; Host, SNI and the certificate stay example.com'],
    ['sockkit http-get -Z -O http://127.0.0.1:8080/a.txt http://127.0.0.1:8080/b.txt', 'save a.txt and b.txt, fetched at once'],
  ],
  // --http1.1 is one flag, as in curl, not `http1` with a key `1`.
  parserSettings: { 'dot-notation': false },
  defaultTimeoutSeconds: DEFAULT_TOTAL_S,
  run: async (args, ctx) => {
    const urls = ([] as string[]).concat(args.url);
    const outputs = ([] as string[]).concat(args.output ?? []);
    if (urls.length > 1 || outputs.length > 1 || args['remote-name'] || args.parallel) {
      return (await import('./http-get-transfers.js')).runTransfers(urls, outputs, args, ctx);
    }
    args = { ...args, url: urls[0]! };
    const target = checkedTarget(args.url, args);
    const options = await clientOptions(args, ctx, target.secure);
    const writeOut = args['write-out'] === undefined ? undefined : await readWriteOut(args['write-out']);
    const rangeAsk = await rangeAskFor(args);
    const request = requestFor(args, target, requestHeaders(args), rangeAsk);
    const destination = destinationFor(args.output ?? null, args);

    // A bar only when the body is not itself going to the terminal (like curl).
    const progress = startProgress(ctx.term, destination?.kind === 'file' || (destination?.kind === 'stdout' && !ctx.term.isStdoutTTY));
    const startedAt = performance.now();
    const retries: RetryNote[] = [];
    let outcome: { result: FetchResult; seen: Seen };
    try {
      outcome = await fetchWithRetries(retries, (seen) =>
        fetchFollowing(
          request,
          { enabled: args.location, maxRedirects: args['max-redirs'] },
          // Each try gets the whole --timeout, as curl's -m.
          { ...options, deadline: performance.now() + ctx.timeoutMs },
          hooksFor(args, ctx.term, destination, progress, seen, rangeAsk),
        ), retryPolicy(args), ctx);
    } catch (err) {
      // --json: what was measured before the failure goes beside the error.
      const { bodyBytes } = (err as { seen?: Seen }).seen ?? { bodyBytes: 0 };
      const totalMs = performance.now() - startedAt;
      // -w still writes its line, as curl does (http_code 000), before the error.
      if (writeOut !== undefined) ctx.term.stdout.write(renderWriteOut(writeOut, failedWriteOutValues(displayUrl(target.url), totalMs, bodyBytes)));
      throw withMeasured(err, { url: displayUrl(target.url), bytes: bodyBytes, timings: { totalMs }, retries });
    } finally {
      progress.done();
    }
    await report(args, ctx.term, request, outcome.result, outcome.seen, retries, writeOut);
    return 0;
  },
});

/** What the hooks saw during the fetch: the body bytes so far, and a status --fail refused. */
export interface Seen {
  bodyBytes: number;
  /** --retry: decides, at a transient status, whether this response is retried (its body then discarded). */
  retryAt?: (head: ResponseHead) => boolean;
  /** A transient status that will be retried, and the wait before it. */
  retrying?: { status: number; reason: string; delayMs: number };
  failedStatus?: { status: number; reason: string; url: string };
}

/** The client's options from the flags: trust, timeouts (each within its declared limit already), HTTP/2 mode. */
export async function clientOptions(args: HttpGetArgs & GlobalArgs, ctx: CommandContext, secure: boolean): Promise<ClientOptions> {
  const { term } = ctx;
  const ca = args.cacert !== undefined || secure || args.location ? await clientTrust(args.cacert, term, ctx.trace) : undefined;
  if (args.insecure) term.warn('TLS certificates are not verified (--insecure)');
  if (args['proxy-insecure']) term.warn("the proxy's TLS certificate is not verified (--proxy-insecure)");
  const proxyMayBeUsed = args.proxy !== undefined ? args.proxy !== '' : PROXY_VARIABLES.some((name) => process.env[name]);
  const proxyCa = await proxyTrust(args['proxy-cacert'], { fromCacert: args.cacert !== undefined, ca }, proxyMayBeUsed, term, ctx.trace);
  return {
    family: familyOf(args),
    ca,
    insecure: args.insecure,
    connectTimeoutMs: Math.min((args['connect-timeout'] ?? DEFAULT_CONNECT_S) * 1000, ctx.timeoutMs),
    stallTimeoutMs: Math.min((args['stall-timeout'] ?? DEFAULT_STALL_S) * 1000, ctx.timeoutMs),
    totalTimeoutMs: ctx.timeoutMs,
    deadline: performance.now() + ctx.timeoutMs,
    // --max-decoded-size is in bytes by now (limits.ts).
    maxDecodedBytes: args['max-decoded-size'],
    trace: ctx.trace,
    signal: ctx.signal,
    http2: args['http2-prior-knowledge'] ? 'prior-knowledge' : args.http2 ? 'require' : args['http1.1'] || args.http10 ? 'off' : 'offer',
    attemptDelayMs: args['happy-eyeballs-delay'],
    proxyFor: proxyChooser(args),
    proxyCa,
    proxyInsecure: args['proxy-insecure'],
    unixSocket: args['unix-socket'] === undefined ? undefined : checkUnixPath(args['unix-socket'], '--unix-socket'),
    pins: {
      resolve: ([] as string[]).concat(args.resolve ?? []).map(parseResolve),
      connectTo: ([] as string[]).concat(args['connect-to'] ?? []).map(parseConnectTo),
    },
  };
}

/** A URL as a fetch checks it: a bad one, or an http:// one under --http2, is exit 2 before anything is fetched. */
export function checkedTarget(url: string, args: Pick<HttpGetArgs, 'http2'>): Target {
  const target = parseUserUrl(url);
  if (args.http2 && !target.secure) {
    throw usageError(`bad URL '${url}' for --http2`, 'HTTP/2 is asked for in TLS ALPN, which an http:// URL does not have', 'use an https:// URL, or --http2-prior-knowledge for h2c');
  }
  return target;
}

/** -H and -A, in the order given. */
export function requestHeaders(args: Pick<HttpGetArgs, 'header' | 'user-agent'>): HeaderList {
  const headers: HeaderList = ([] as string[]).concat(args.header ?? []).map(parseHeaderOption);
  if (args['user-agent'] !== undefined) headers.push(['User-Agent', args['user-agent']]);
  return headers;
}

/** The request for one URL: its method, the headers (with -r/-C's Range), the protocol flags. */
export function requestFor(args: HttpGetArgs, target: Target, headers: HeaderList, rangeAsk: RangeAsk | null): RequestSpec {
  const range = rangeAsk ? rangeHeader(rangeAsk) : undefined;
  return {
    method: args.head ? 'HEAD' : 'GET',
    target,
    headers: range === undefined ? headers : [...headers, ['Range', range]],
    compressed: args.compressed,
    userAgent: `sockkit/${VERSION}`,
    httpVersion: args.http10 ? '1.0' : '1.1',
  };
}

/** Where a body goes: -o FILE, else stdout (`-o -` forces it); with --json or --timing the report has stdout, so nowhere. */
export function destinationFor(path: string | null, args: { json?: boolean; timing?: boolean }): BodyDestination | null {
  if (path !== null && path !== '-') return { kind: 'file', path };
  return args.json || args.timing ? null : { kind: 'stdout', forced: path === '-' };
}

/**
 * The proxy for each request (redirects included), as curl picks it: -x, else the
 * environment; --noproxy, else no_proxy. A bad -x is a usage error before any connect.
 * Chosen once per origin: the pool's key and the connection each ask, per request.
 */
function proxyChooser(args: HttpGetArgs): ClientOptions['proxyFor'] {
  const settings: ProxySettings = { flag: args.proxy, noProxy: args.noproxy, env: process.env };
  if (args.proxy) parseProxyUrl(args.proxy, '--proxy');
  const chosen = new Map<string, ReturnType<typeof proxyFor>>();
  return (host, secure) => {
    const origin = `${secure ? 'https' : 'http'} ${host}`;
    let proxy = chosen.get(origin);
    if (proxy === undefined) chosen.set(origin, (proxy = proxyFor(host, secure, settings)));
    return proxy;
  };
}

/** -v, -i, --fail and where the body goes, as hooks of the fetch. */
export function hooksFor(args: HttpGetArgs, term: Terminal, destination: BodyDestination | null, progress: Progress, seen: Seen, rangeAsk: RangeAsk | null): RequestHooks {
  return {
    onProxyStep(line) {
      if (args.verbose) for (const l of line.trimEnd().split('\r\n')) printVerboseNote(term, `proxy: ${l}`);
    },
    onRequest(bytes) {
      if (args.verbose) printVerboseRequest(term, bytes);
    },
    onInterim(head) {
      if (args.verbose) printVerboseResponse(term, head);
    },
    onAnyHead(head) {
      if (args.verbose) printVerboseResponse(term, head);
    },
    onRedirect(head) {
      // -i -L shows every head on the way, as curl does.
      if ((args.include || args.head) && destination?.kind === 'stdout') printHead(term, head.raw);
    },
    onHead(head, hop): BodySink | null {
      if (seen.retryAt?.(head)) return discardSink();
      // -C/-r: a 206 that is not the range asked for throws here, before any byte is written.
      const to = rangeAsk ? destinationUnderRange(rangeAsk, head, destination, term) : destination;
      if (args.fail && head.status >= 400 && !(rangeAsk?.kind === 'resume' && head.status === 416)) {
        seen.failedStatus = { status: head.status, reason: head.reason, url: hop.url };
        return null;
      }
      const showHead = args.include || args.head;
      if (to === null) return discardSink();
      return openBodyWriter(term, to, {
        prefix: showHead ? head.raw : undefined,
        contentType: args.head ? undefined : (headerValue(head.headers, 'content-type') ?? ''),
      });
    },
    onProgress: (received, expected) => {
      seen.bodyBytes = received;
      progress.update(received, expected);
    },
  };
}

/** -w FORMAT, or @FILE to read it from a file; checked before anything is fetched. */
export async function readWriteOut(text: string): Promise<string> {
  let format = text;
  if (text.startsWith('@')) {
    try {
      // node:fs/promises (2 ms to load) only for -w @FILE.
      format = await builtin('node:fs/promises').readFile(text.slice(1), 'utf8');
    } catch (err) {
      throw usageError(`bad --write-out '${text}'`, toSockkitError(err, 'read').why);
    }
  }
  checkWriteOut(format);
  return format;
}

export function retryPolicy(args: HttpGetArgs): RetryPolicy {
  return {
    retries: args.retry,
    fixedDelayMs: args['retry-delay'] === undefined ? undefined : args['retry-delay'] * 1000,
    maxTimeMs: (args['retry-max-time'] ?? 0) * 1000,
  };
}

/**
 * --retry: runs `fetch` again after a transient failure (a timeout, a refused or reset
 * connection before any body byte was written; 408, 429, 500, 502, 503, 504) while the
 * policy allows, waiting the backoff or the server's Retry-After. Each retry is a
 * warning on stderr and a note in `retries` (--json).
 */
export async function fetchWithRetries(
  retries: RetryNote[],
  fetch: (seen: Seen) => Promise<FetchResult>,
  policy: RetryPolicy,
  ctx: CommandContext,
): Promise<{ result: FetchResult; seen: Seen }> {
  const started = performance.now();
  for (let n = 1; ; n++) {
    const seen: Seen = { bodyBytes: 0 };
    seen.retryAt = (head) => {
      if (!TRANSIENT_STATUSES.has(head.status)) return false;
      const delayMs = nextDelayMs(policy, n, performance.now() - started, retryAfterMs(headerValue(head.headers, 'retry-after')));
      if (delayMs !== null) seen.retrying = { status: head.status, reason: head.reason, delayMs };
      return delayMs !== null;
    };
    let why: string;
    let delayMs: number;
    try {
      const result = await fetch(seen);
      if (!seen.retrying) return { result, seen };
      why = `the server answered ${seen.retrying.status}${seen.retrying.reason ? ` ${seen.retrying.reason}` : ''}`;
      delayMs = seen.retrying.delayMs;
    } catch (err) {
      const delay = isTransientError(err) && seen.bodyBytes === 0 ? nextDelayMs(policy, n, performance.now() - started, undefined) : null;
      if (delay === null) throw Object.assign(err as object, { seen });
      why = (err as SockkitError).message;
      delayMs = delay;
    }
    retries.push({ retry: n, why, delayMs });
    ctx.term.warn(`${why}: retrying in ${formatSeconds(delayMs)} (retry ${n} of ${policy.retries})`);
    await sleep(delayMs, ctx.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new SockkitError('INTERRUPTED', 'retry', 'interrupted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** After the fetch: -v notes, the --compressed warning, --json or --timing, and --fail's error. */
export async function report(
  args: HttpGetArgs & GlobalArgs,
  term: Terminal,
  request: RequestSpec,
  result: FetchResult,
  seen: Seen,
  retries: RetryNote[],
  writeOut: string | undefined,
): Promise<void> {
  const hop = result.final;
  const output = args.output ?? null;
  if (args.verbose) {
    for (const h of result.hops) {
      printVerboseNote(term, `${h.method} ${h.url} → ${h.status} from ${h.remoteAddress} port ${h.remotePort}${h.tls ? `; ${describeTls(h.tls)}` : ''}`);
    }
    printVerboseNote(term, `${hop.deliveredBytes} body bytes${hop.decodedEncoding ? ` (decoded from ${hop.bodyBytes} bytes of ${hop.decodedEncoding})` : ''}`);
  }
  if (args.compressed && hop.decodedEncoding === null) {
    const encoding = headerValue(hop.head.headers, 'content-encoding');
    if (encoding && encoding.toLowerCase() !== 'identity') term.warn(`Content-Encoding '${encoding}' is not decoded: the body is as sent`);
  }
  const failed = seen.failedStatus;
  const failure = failed
    ? new SockkitError('PROTOCOL', `${request.method} ${failed.url}`, `the server answered ${failed.status}${failed.reason ? ` ${failed.reason}` : ''} (--fail)`)
    : undefined;
  // --json with --fail: one document, the response with the error beside it.
  if (args.json && failure) throw withMeasured(failure, { ...httpGetDocument(result, output, retries) });
  if (args.json) printHttpGetJson(term, result, output, retries);
  else if (args.timing) await printTiming(term, result);
  // -w after the body, with --fail too (as curl).
  if (writeOut !== undefined) term.stdout.write(renderWriteOut(writeOut, writeOutValues(result)));
  if (failure) throw failure;
}
