// A small DNS server for the tests, on UDP and TCP of one port: it records every
// question it receives (so a test can say what reached a resolver, and that nothing
// did) and answers from a function, by default with made-up records that name the
// server (so a test with several servers can tell who answered).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { decodeMessage, encodeMessage, RecordType, type DnsMessage, type DnsRecord } from '../../src/net/dns/packet.js';

export interface ReceivedQuestion {
  name: string;
  type: number;
  transport: 'udp' | 'tcp';
}

/** The reply to `query`, or undefined to stay silent. */
export type Answerer = (query: DnsMessage, transport: 'udp' | 'tcp') => DnsMessage | undefined;

export interface RecordingDnsServer {
  address: string;
  port: number;
  received: ReceivedQuestion[];
  /** Every query decoded, in order (header bits, EDNS and its options). */
  queries: DnsMessage[];
  close(): Promise<void>;
}

/** NOERROR with one record for A (192.0.2.1) and TXT ("from ADDRESS:PORT"), NODATA for the rest. */
export function defaultAnswerer(label: string): Answerer {
  return (query) => {
    const q = query.questions[0];
    if (!q) return undefined;
    const answers: DnsRecord[] = [];
    if (q.type === RecordType.A) answers.push({ name: q.name, type: RecordType.A, class: 1, ttl: 60, data: { kind: 'A', address: '192.0.2.1' } });
    if (q.type === RecordType.TXT) answers.push({ name: q.name, type: RecordType.TXT, class: 1, ttl: 60, data: { kind: 'TXT', strings: [Buffer.from(`from ${label}`)] } });
    return { ...query, qr: true, aa: true, ra: false, rcode: 0, answers, authorities: [], additionals: [] };
  };
}

export async function startRecordingDnsServer(options: { address?: string; port?: number; answer?: Answerer } = {}): Promise<RecordingDnsServer> {
  const address = options.address ?? '127.0.0.1';
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(address, options.port ?? 0, options.answer);
    } catch (err) {
      // port 0: UDP's free port may be taken on TCP; another try picks another
      if (attempt >= 5 || options.port) throw err;
    }
  }
}

async function startOnce(address: string, wantedPort: number, answer: Answerer | undefined): Promise<RecordingDnsServer> {
  const received: ReceivedQuestion[] = [];
  const queries: DnsMessage[] = [];
  const udp: UdpSocket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(wantedPort, address, () => resolve());
  });
  const port = udp.address().port;
  const label = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  const reply = answer ?? defaultAnswerer(label);
  const handle = (bytes: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    let query: DnsMessage;
    try {
      query = decodeMessage(bytes);
    } catch {
      return undefined;
    }
    queries.push(query);
    for (const q of query.questions) received.push({ name: q.name, type: q.type, transport });
    const response = reply(query, transport);
    return response ? encodeMessage(response) : undefined;
  };
  udp.on('message', (msg, rinfo) => {
    const out = handle(msg, 'udp');
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  const sockets = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        const out = handle(message, 'tcp');
        if (out) socket.write(Buffer.concat([Buffer.from([out.length >> 8, out.length & 0xff]), out]));
      }
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, address, () => resolve());
    });
  } catch (err) {
    udp.close();
    throw err;
  }
  return {
    address,
    port,
    received,
    queries,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    },
  };
}
