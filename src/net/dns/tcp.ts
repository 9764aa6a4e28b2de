// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): one question on a connection of its own,
// each message prefixed with its 2-byte length. Used when a UDP reply comes back
// truncated (TC); the connection is the socket layer's (socket/connect.ts).
import type { Socket } from 'node:net';
import { connectTo } from '../socket/connect.js';
import { type SockkitError, protocolError, timeoutError, toSockkitError } from '../shared/errors.js';
import { monotonicMs } from '../shared/deadline.js';
import { noTrace, type TraceFn } from '../shared/trace.js';
import { hexId, judgeReply, type AskedQuestion } from './answers.js';
import type { DnsMessage } from './packet.js';

export interface TcpQuestion extends AskedQuestion {
  /** The query as sent over UDP (its ID is `id`). */
  packet: Buffer;
  /** The whole budget of the question, named in a timeout. */
  timeoutMs: number;
}

/**
 * Asks `question` of `server` over TCP within `budgetMs` (what the UDP attempts left of
 * the question's budget). A reply that does not fit the question is a protocol error:
 * on our own connection no better one will follow.
 */
export async function queryOverTcp(
  server: { host: string; port: number },
  question: TcpQuestion,
  what: string,
  budgetMs: number,
  trace: TraceFn,
  label = `${server.host}:${server.port}`,
): Promise<{ message: DnsMessage; transport: 'tcp' }> {
  const started = monotonicMs();
  let socket: Socket;
  try {
    socket = await connectTo(server.host, { port: server.port, timeoutMs: budgetMs, trace });
  } catch (err) {
    const failure = toSockkitError(err, what);
    throw failure.code === 'TIMEOUT' ? timeoutError(what, question.timeoutMs) : failure;
  }
  const left = Math.max(1, budgetMs - (monotonicMs() - started));
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const done = (err: SockkitError | undefined, message?: DnsMessage) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      trace('close', `tcp connection to ${label}`);
      if (err) reject(err);
      else resolve({ message: message!, transport: 'tcp' });
    };
    const timer = setTimeout(() => done(timeoutError(what, question.timeoutMs)), left);
    const frame = Buffer.alloc(2 + question.packet.length);
    frame.writeUInt16BE(question.packet.length, 0);
    question.packet.copy(frame, 2);
    trace('send', `${frame.length} bytes to ${label} (id ${hexId(question.id)}, length-prefixed)`);
    socket.write(frame);
    socket.on('data', (chunk: Buffer) => {
      trace('recv', `${chunk.length} bytes from ${label} (tcp)`);
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2) {
        const length = received.readUInt16BE(0);
        if (received.length < 2 + length) return;
        const reply = received.subarray(2, 2 + length);
        received = received.subarray(2 + length);
        if (reply.length >= 2 && reply.readUInt16BE(0) !== question.id) {
          trace('ignore', `tcp reply id ${hexId(reply.readUInt16BE(0))} is not ours`);
          continue;
        }
        const judged = judgeReply(reply, question);
        if (judged.verdict !== 'accept') return done(protocolError(what, judged.why));
        return done(undefined, judged.message);
      }
    });
    socket.on('end', () => done(protocolError(what, 'the server closed the connection before a full reply')));
    socket.on('error', (err) => done(toSockkitError(err, what)));
  });
}
