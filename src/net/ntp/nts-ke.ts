// The NTS Key Establishment client (RFC 8915 §4): one TLS 1.3 connection with ALPN
// ntske/1 through the socket layer, the request records, the response read up to End
// of Message (bounded in records, bytes and time), and the two keys from the TLS
// exporter. Returns data or throws a SockkitError (TLS → exit 6, the server's refusal
// or a malformed response → 7, silence → 5); never prints.
import type { TLSSocket } from 'node:tls';
import { SockkitError, formatSeconds, toSockkitError } from '../shared/errors.js';
import { formatHostPort } from '../shared/address.js';
import type { TraceFn } from '../shared/trace.js';
import { lookupHost } from '../socket/lookup.js';
import { connectFirst } from '../socket/connect.js';
import { secureContextFor, tlsHandshake, tlsOpener, type TlsInfo } from '../socket/tls.js';
import { SIV_KEY_BYTES } from '../crypto/aes-siv.js';
import {
  AEAD_AES_SIV_CMAC_256,
  describeRecord,
  encodeRecord,
  interpretKeResponse,
  keError,
  keRequestRecords,
  KeRecordReader,
  NEXT_PROTOCOL_NTPV4,
  NTS_KE_ALPN,
  RecordType,
  type KeRecord,
  type KeResponse,
} from './nts-ke-records.js';

export interface NtsKeOptions {
  host: string;
  port: number;
  family?: 4 | 6;
  /** The whole key exchange: lookup, connect, handshake and response. */
  timeoutMs: number;
  signal?: AbortSignal;
  trace: TraceFn;
  /** PEM CA certificates (--cacert); Node's bundled roots otherwise. */
  ca?: Buffer | Array<string | Buffer>;
  /** -k: the handshake completes whatever the certificate says (the verdict is still reported). */
  insecure: boolean;
}

export interface NtsKeResult extends KeResponse {
  host: string;
  address: string;
  port: number;
  tls: TlsInfo;
  /** Client-to-server and server-to-client keys (RFC 8915 §5.1). */
  c2sKey: Buffer;
  s2cKey: Buffer;
  /** From the start of the lookup to End of Message. */
  keMs: number;
  /** Every record the server sent, in order. */
  records: KeRecord[];
}

const EXPORTER_LABEL = 'EXPORTER-network-time-security';

/** The exporter context of RFC 8915 §5.1: protocol ID, AEAD ID, 0 (C2S) or 1 (S2C). */
export function exporterContext(aead: number, direction: 'c2s' | 's2c'): Buffer {
  const context = Buffer.alloc(5);
  context.writeUInt16BE(NEXT_PROTOCOL_NTPV4, 0);
  context.writeUInt16BE(aead, 2);
  context[4] = direction === 'c2s' ? 0 : 1;
  return context;
}

export async function ntsKeyExchange(options: NtsKeOptions): Promise<NtsKeResult> {
  const { host, port, trace, signal } = options;
  const started = performance.now();
  const left = () => Math.max(1, options.timeoutMs - (performance.now() - started));
  const addresses = await lookupHost(host, options.family, options.timeoutMs, trace, `bad server '${host}'`, signal);
  const secureContext = secureContextFor(options.ca, { minVersion: 'TLSv1.3' });
  const { socket, address } = await connectFirst(
    addresses.map((a) => a.address),
    {
      port,
      timeoutMs: left(),
      trace,
      signal,
      open: tlsOpener({ port, trace }, { host, alpn: [NTS_KE_ALPN], secureContext, insecure: options.insecure }),
    },
  );
  const tlsSocket = socket as TLSSocket;
  try {
    const tls = await tlsHandshake(tlsSocket, host, left(), trace);
    if (tls.alpn !== NTS_KE_ALPN) throw keError(`the server did not agree to ALPN ${NTS_KE_ALPN} (it chose ${tls.alpn ?? 'none'})`);
    const request = keRequestRecords();
    for (const record of request) trace('nts-ke', `send ${describeRecord(record)}`);
    const bytes = Buffer.concat(request.map(encodeRecord));
    tlsSocket.write(bytes);
    trace('send', `${bytes.length} bytes of NTS-KE request to ${formatHostPort(address, port)}`);
    const records = await readKeResponse(tlsSocket, left(), options.timeoutMs, trace, signal);
    const response = interpretKeResponse(records);
    const c2sKey = tlsSocket.exportKeyingMaterial(SIV_KEY_BYTES, EXPORTER_LABEL, exporterContext(AEAD_AES_SIV_CMAC_256, 'c2s'));
    const s2cKey = tlsSocket.exportKeyingMaterial(SIV_KEY_BYTES, EXPORTER_LABEL, exporterContext(AEAD_AES_SIV_CMAC_256, 's2c'));
    trace('nts-ke', `keys: C2S and S2C, ${SIV_KEY_BYTES} bytes each, from the TLS exporter (${EXPORTER_LABEL})`);
    return { ...response, host, address, port, tls, c2sKey, s2cKey, keMs: performance.now() - started, records };
  } finally {
    closeGently(tlsSocket, trace);
  }
}

/** close_notify and FIN; a server that never closes its side is cut off after 200 ms. */
function closeGently(socket: TLSSocket, trace: TraceFn): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), 200).unref();
  trace('close', 'NTS-KE connection');
}

/** Records up to and including End of Message, within `timeoutMs` (what is left of `budgetMs`, the one a timeout names). */
function readKeResponse(socket: TLSSocket, timeoutMs: number, budgetMs: number, trace: TraceFn, signal?: AbortSignal): Promise<KeRecord[]> {
  const what = 'NTS key exchange';
  const reader = new KeRecordReader();
  const records: KeRecord[] = [];
  return new Promise((resolve, reject) => {
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData).off('end', onEnd).off('error', onError);
      settle();
    };
    const fail = (err: SockkitError) => finish(() => reject(err));
    const onAbort = () => fail(new SockkitError('INTERRUPTED', what, 'interrupted'));
    const onEnd = () => fail(keError(`the server closed the connection before End of Message (after ${records.length} records${reader.heldBytes ? ` and ${reader.heldBytes} bytes of an incomplete one` : ''})`));
    const onError = (err: Error) => fail(toSockkitError(err, what));
    const onData = (chunk: Buffer) => {
      trace('recv', `${chunk.length} bytes of NTS-KE response`);
      try {
        for (const record of reader.push(chunk)) {
          trace('nts-ke', `recv ${describeRecord(record)}`);
          records.push(record);
          if (record.type === RecordType.END_OF_MESSAGE) return finish(() => resolve(records));
        }
      } catch (err) {
        fail(toSockkitError(err, what));
      }
    };
    const timer = setTimeout(
      () => fail(new SockkitError('TIMEOUT', what, `no End of Message record within ${formatSeconds(budgetMs)} (${records.length} records so far)`, 'raise it with --timeout SECONDS')),
      timeoutMs,
    );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
