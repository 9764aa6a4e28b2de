// The header lists of an HTTP/2 response (RFC 9113 8.3.2, 8.2): the pseudo-header
// :status first and alone, lower-case names, no connection-specific fields, trailers
// without pseudo-headers. A list that breaks a rule is malformed: PROTOCOL_ERROR.
import { ErrorCode, Http2Error } from './frames.js';
import type { HeaderField } from './hpack.js';

export interface Http2ResponseHead {
  status: number;
  /** The regular fields, in order, without pseudo-headers. */
  headers: HeaderField[];
  /** Everything as received, :status included (for -v). */
  fields: HeaderField[];
  /** The content-length the response declares, or null. */
  contentLength: number | null;
}

const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

export function responseHead(fields: HeaderField[], streamId: number): Http2ResponseHead {
  const malformed = (why: string) => new Http2Error(ErrorCode.PROTOCOL_ERROR, `malformed response on stream ${streamId}: ${why}`, streamId);
  let status: string | undefined;
  const headers: HeaderField[] = [];
  for (const [name, value] of fields) {
    if (name.startsWith(':')) {
      if (headers.length > 0) throw malformed(`pseudo-header ${name} after a regular field`);
      if (name !== ':status') throw malformed(`pseudo-header ${name} (a response has only :status)`);
      if (status !== undefined) throw malformed('two :status fields');
      status = value;
      continue;
    }
    checkRegular(name, value, malformed);
    headers.push([name, value]);
  }
  if (status === undefined) throw malformed('no :status');
  if (!/^[1-9][0-9]{2}$/.test(status)) throw malformed(`:status ${JSON.stringify(status.slice(0, 20))}`);
  return { status: Number(status), headers, fields, contentLength: contentLengthOf(headers, malformed) };
}

/** Trailers: regular fields only. */
export function responseTrailers(fields: HeaderField[], streamId: number): HeaderField[] {
  const malformed = (why: string) => new Http2Error(ErrorCode.PROTOCOL_ERROR, `malformed trailers on stream ${streamId}: ${why}`, streamId);
  for (const [name, value] of fields) {
    if (name.startsWith(':')) throw malformed(`pseudo-header ${name}`);
    checkRegular(name, value, malformed);
  }
  return fields;
}

function checkRegular(name: string, value: string, malformed: (why: string) => Http2Error): void {
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name)) throw malformed(`field name ${JSON.stringify(name.slice(0, 40))} (lower-case tokens only)`);
  if (CONNECTION_SPECIFIC.has(name)) throw malformed(`connection-specific field ${name}`);
  // NUL, CR, LF anywhere, or white space at either end (RFC 9113 8.2.1).
  if (/[\x00\r\n]/.test(value) || /^[ \t]|[ \t]$/.test(value)) throw malformed(`a bad value in ${name}`);
}

function contentLengthOf(headers: HeaderField[], malformed: (why: string) => Http2Error): number | null {
  let length: number | null = null;
  for (const [name, value] of headers) {
    if (name !== 'content-length') continue;
    if (!/^[0-9]{1,15}$/.test(value)) throw malformed(`content-length ${JSON.stringify(value.slice(0, 20))}`);
    const n = Number(value);
    if (length !== null && n !== length) throw malformed(`conflicting content-length ${length} and ${n}`);
    length = n;
  }
  return length;
}
