// What `ntp --nts` adds to a report: the key exchange (TLS, certificate, AEAD, the
// negotiated server and port, cookies, KE time), as fields and as JSON. The keys never
// leave the core.
import type { NtsReport } from '../net/ntp/client.js';
import { aeadName, KE_ERROR_NAMES, RECORD_NAMES } from '../net/ntp/nts-ke-records.js';
import type { Cell } from './render.js';

export function ntsFields(nts: NtsReport): Array<[string, Cell]> {
  const { ke, cookies } = nts;
  const { tls } = ke;
  const where = ke.address.includes(':') ? `[${ke.address}]:${ke.port}` : `${ke.address}:${ke.port}`;
  const fields: Array<[string, Cell]> = [
    ['nts', 'authenticated (RFC 8915): every answer verified with the S2C key'],
    ['nts-ke', ke.host === ke.address ? where : `${ke.host} (${where})`],
    ['nts-ke time', `${ke.keMs.toFixed(3)} ms`],
    ['tls', `${tls.protocol ?? '?'}, ${tls.cipher ?? '?'}, ALPN ${tls.alpn ?? 'none'}`],
    ['certificate', certificateText(nts)],
    ['aead', `${aeadName(ke.aead)} (${ke.aead})`],
    ['ntp server', nts.serverSource === 'negotiated' ? `${ke.ntpServer} (negotiated)` : `${ke.address} (the key exchange's address; none negotiated)`],
    ['ntp port', nts.portSource === 'negotiated' ? `${ke.ntpPort} (negotiated)` : 'from --port (none negotiated)'],
    [
      'cookies',
      `${cookies.fromKeyExchange} from the key exchange (${sizeText(ke.cookies.map((c) => c.length))}); ${cookies.spent} spent, ${cookies.fromReplies} received in replies, ${cookies.left} left`,
    ],
  ];
  return fields;
}

function certificateText({ ke: { tls } }: NtsReport): string {
  const verdict = tls.verified ? 'verified' : `NOT verified (${tls.verifyError ?? 'unknown reason'}; -k)`;
  return `${tls.peerSubject ?? '?'}, issued by ${tls.peerIssuer ?? '?'}, valid ${day(tls.validFrom)} to ${day(tls.validTo)}, ${verdict}`;
}

function day(iso: string | null): string {
  return iso ? iso.replace(/\.000Z$/, 'Z') : '?';
}

function sizeText(sizes: readonly number[]): string {
  if (sizes.length === 0) return 'none';
  const min = Math.min(...sizes);
  const max = Math.max(...sizes);
  return min === max ? `${min} bytes each` : `${min}–${max} bytes`;
}

export function ntsJson(nts: NtsReport) {
  const { ke, cookies } = nts;
  const { tls } = ke;
  return {
    keServer: ke.host,
    keAddress: ke.address,
    kePort: ke.port,
    keMs: Math.round(ke.keMs * 1000) / 1000,
    tls: {
      protocol: tls.protocol,
      cipher: tls.cipher,
      alpn: tls.alpn,
      subject: tls.peerSubject,
      issuer: tls.peerIssuer,
      validFrom: tls.validFrom,
      validTo: tls.validTo,
      verified: tls.verified,
      verifyError: tls.verifyError,
    },
    aead: aeadName(ke.aead),
    aeadId: ke.aead,
    ntpServer: ke.ntpServer ?? ke.address,
    ntpServerSource: nts.serverSource,
    ntpPort: ke.ntpPort ?? null,
    ntpPortSource: nts.portSource,
    records: ke.records.map((r) => ({
      type: r.type,
      name: RECORD_NAMES[r.type] ?? null,
      critical: r.critical,
      bytes: r.body.length,
      ...(r.type === 2 && r.body.length === 2 ? { error: KE_ERROR_NAMES[r.body.readUInt16BE(0)] ?? null } : {}),
    })),
    cookies: {
      fromKeyExchange: cookies.fromKeyExchange,
      keCookieBytes: ke.cookies.map((c) => c.length),
      spent: cookies.spent,
      placeholders: cookies.placeholders,
      fromReplies: cookies.fromReplies,
      left: cookies.left,
    },
  };
}
