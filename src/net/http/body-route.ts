// Where a response body goes, for HTTP/1.1 and HTTP/2 alike: the caller's sink behind
// the decoders the response needs (a Content-Encoding with --compressed, a transfer
// coding always).
import { decodableCoding, decodingSink, type BodySink } from './body.js';
import { headerValue, type BodyFraming, type ResponseHead } from './parser.js';

/** Where a response body goes: the caller's sink, behind the decoders the response needs. */
export interface BodyRoute {
  sink: BodySink;
  /** Content-Encoding decoder (--compressed), whose output is what the caller gets. */
  contentDecoder: ReturnType<typeof decodingSink> | null;
  decodedEncoding: string | null;
  /** Transfer-Encoding decoder (gzip, deflate before chunked): its output is the body. */
  transferDecoder: ReturnType<typeof decodingSink> | null;
}

/**
 * The body's route for a response head: --compressed decodes a Content-Encoding it
 * knows; a transfer coding is not the body and is always removed, under the same cap
 * (a gzip bomb works there too).
 */
export function routeBody(head: ResponseHead, framing: BodyFraming, target: BodySink, compressed: boolean, maxDecodedBytes: number): BodyRoute {
  let sink = target;
  let contentDecoder: BodyRoute['contentDecoder'] = null;
  let transferDecoder: BodyRoute['transferDecoder'] = null;
  const coding = compressed ? decodableCoding(headerValue(head.headers, 'content-encoding')) : undefined;
  if (coding && framing.kind !== 'none') sink = contentDecoder = decodingSink(coding, sink, maxDecodedBytes);
  if ((framing.kind === 'chunked' || framing.kind === 'close') && framing.transferCoding) {
    sink = transferDecoder = decodingSink(framing.transferCoding, sink, maxDecodedBytes);
  }
  return { sink, contentDecoder, decodedEncoding: contentDecoder ? (coding ?? null) : null, transferDecoder };
}
