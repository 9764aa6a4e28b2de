// Reply acceptance and answer selection (src/net/dns/answers.ts) with handcrafted
// packets and records: what counts as the reply to a query, and which records of it
// answer the question. Property: a record of another owner, type or class never does.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { judgeReply, MAX_CHAIN_HOPS, selectAnswers, selectAnswersByChain, substitute, wrongSource, type AnswerSelection } from '../../src/net/dns/answers.js';
import { encodeMessage, encodeQuery, RecordType, type DnsMessage, type DnsRecord } from '../../src/net/dns/packet.js';
import { statusOfReply } from '../../src/net/dns/resolve.js';

const { A, AAAA, CNAME, DNAME, MX, TXT, ANY, OPT } = RecordType;

function rr(name: string, type: number, value: string, cls = 1): DnsRecord {
  const data: DnsRecord['data'] =
    type === A ? { kind: 'A', address: value } : type === AAAA ? { kind: 'AAAA', address: value } : type === TXT ? { kind: 'TXT', strings: [Buffer.from(value)] } : { kind: 'NAME', target: value };
  return { name, type, class: cls, ttl: 60, data };
}

const asked = { id: 0x1234, name: 'www.example.', type: A };

function replyBytes(overrides: Partial<DnsMessage> = {}): Buffer {
  return encodeMessage({ id: asked.id, qr: true, rd: true, questions: [{ name: 'www.example.', type: A, class: 1 }], answers: [rr('www.example.', A, '192.0.2.1')], ...overrides });
}

describe('judgeReply: only the reply to our query is accepted', () => {
  test('ID, QR, opcode and question all match: accepted', () => {
    const judged = judgeReply(replyBytes(), asked);
    expect(judged.verdict).toBe('accept');
  });

  test('the question echoed in another case (DNS 0x20) is still ours', () => {
    expect(judgeReply(replyBytes({ questions: [{ name: 'WwW.ExAmPlE.', type: A, class: 1 }] }), asked).verdict).toBe('accept');
  });

  test.each<[string, Partial<DnsMessage>, RegExp]>([
    ['another ID', { id: 0x4321 }, /id 0x4321 is not ours/],
    ['QR clear (a query, not a reply)', { qr: false }, /QR bit clear/],
    ['another opcode', { opcode: 2 }, /opcode 2/],
    ['another name', { questions: [{ name: 'evil.example.', type: A, class: 1 }] }, /not our question/],
    ['another type', { questions: [{ name: 'www.example.', type: AAAA, class: 1 }] }, /not our question/],
    ['another class', { questions: [{ name: 'www.example.', type: A, class: 3 }] }, /class 3, not our question/],
    ['two questions', { questions: [{ name: 'www.example.', type: A, class: 1 }, { name: 'www.example.', type: A, class: 1 }] }, /2 questions/],
    ['no question with NOERROR', { questions: [] }, /0 questions/],
  ])('%s: ignored', (_what, overrides, why) => {
    const judged = judgeReply(replyBytes(overrides), asked);
    expect(judged).toEqual({ verdict: 'ignore', why: expect.stringMatching(why) });
  });

  test('no question with an error RCODE (REFUSED) is accepted: servers may leave it out', () => {
    expect(judgeReply(replyBytes({ questions: [], answers: [], rcode: 5 }), asked).verdict).toBe('accept');
  });

  test('our ID, unreadable: malformed, with the reason', () => {
    expect(judgeReply(replyBytes().subarray(0, 30), asked)).toEqual({ verdict: 'malformed', why: expect.stringMatching(/^malformed reply: message truncated/) });
    expect(judgeReply(Buffer.from([0x12, 0x34, 0x80]), asked)).toEqual({ verdict: 'malformed', why: expect.stringMatching(/shorter than a DNS header/) });
  });

  test('our own query sent back is not a reply', () => {
    expect(judgeReply(encodeQuery(asked.id, asked.name, A), asked).verdict).toBe('ignore');
  });

  test('the source must be the server asked, address and port', () => {
    const server = { host: '127.0.0.1', port: 5353 };
    expect(wrongSource('127.0.0.1', 5353, server)).toBeUndefined();
    expect(wrongSource('127.0.0.1', 5354, server)).toBeDefined();
    expect(wrongSource('127.0.0.2', 5353, server)).toBeDefined();
  });

  test('property: any bytes are accepted only with our ID, QR set and our question', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, useOurHeader) => {
        const packet = Buffer.from(bytes);
        if (useOurHeader && packet.length >= 3) {
          packet[0] = 0x12;
          packet[1] = 0x34;
          packet[2]! |= 0x80;
        }
        const judged = judgeReply(packet, asked);
        if (judged.verdict !== 'accept') return;
        expect(judged.message.id).toBe(asked.id);
        expect(judged.message.qr).toBe(true);
        if (judged.message.rcode === 0) expect(judged.message.questions).toEqual([{ name: expect.stringMatching(/^www\.example\.$/i), type: A, class: 1 }]);
      }),
      { numRuns: 2000 },
    );
  });
});

const values = (s: AnswerSelection) => s.records.map((r) => `${r.name} ${r.type} ${r.data.kind === 'NAME' ? r.data.target : r.data.kind === 'A' || r.data.kind === 'AAAA' ? r.data.address : ''}`);

describe('selectAnswers: records that answer the question', () => {
  test('the records of the type asked at the name asked', () => {
    const s = selectAnswers([rr('www.example.', A, '192.0.2.1'), rr('www.example.', A, '192.0.2.2')], 'www.example.', A);
    expect(s.end).toBe('answer');
    expect(values(s)).toEqual(['www.example. 1 192.0.2.1', 'www.example. 1 192.0.2.2']);
    expect(s.ignored).toEqual([]);
  });

  test('an AAAA record is no answer to an A question: NODATA', () => {
    const s = selectAnswers([rr('www.example.', AAAA, '2001:db8::1')], 'www.example.', A);
    expect(s).toMatchObject({ end: 'nodata', records: [] });
    expect(s.ignored.map((i) => i.why)).toEqual(['AAAA does not answer a A question']);
  });

  test('a record of an unrelated owner is ignored, wherever it is in the section', () => {
    const bank = rr('www.bank.example.', A, '198.51.100.66');
    const s = selectAnswers([bank, rr('www.example.', A, '192.0.2.1')], 'www.example.', A);
    expect(values(s)).toEqual(['www.example. 1 192.0.2.1']);
    expect(s.ignored).toEqual([{ record: bank, why: 'owner www.bank.example. is neither www.example. nor on its alias chain' }]);
  });

  test('a record of another class (CH) or an OPT record in the answers is ignored', () => {
    const s = selectAnswers([rr('www.example.', A, '192.0.2.1', 3), { name: '.', type: OPT, class: 1232, ttl: 0, data: { kind: 'RAW', bytes: Buffer.alloc(0) } }], 'www.example.', A);
    expect(s.end).toBe('nodata');
    expect(s.ignored.map((i) => i.why)).toEqual(['class 3, not IN (the class asked)', 'an OPT pseudo-record has no place in the answer section']);
  });

  test('owner names compare case-insensitively, with or without the trailing dot', () => {
    const s = selectAnswers([rr('WWW.Example.', CNAME, 'Target.EXAMPLE.'), rr('target.example.', A, '192.0.2.9')], 'www.example', A);
    expect(s.end).toBe('answer');
    expect(s.records).toHaveLength(2);
  });

  test('a CNAME chain is followed by reachability, not position, and returned hop by hop', () => {
    const s = selectAnswers(
      [rr('c.example.', A, '192.0.2.3'), rr('b.example.', CNAME, 'c.example.'), rr('www.example.', CNAME, 'b.example.')],
      'www.example.',
      A,
    );
    expect(values(s)).toEqual(['www.example. 5 b.example.', 'b.example. 5 c.example.', 'c.example. 1 192.0.2.3']);
    expect(s.chain).toEqual(['www.example.', 'b.example.', 'c.example.']);
  });

  test('a CNAME to a name with no record of the type: NODATA, the hop kept', () => {
    const s = selectAnswers([rr('www.example.', CNAME, 'gone.example.')], 'www.example.', A);
    expect(s).toMatchObject({ end: 'nodata', chain: ['www.example.', 'gone.example.'] });
    expect(s.records).toHaveLength(1);
  });

  test('a CNAME loop ends as a loop, with the chain in the message', () => {
    const s = selectAnswers([rr('www.example.', CNAME, 'b.example.'), rr('b.example.', CNAME, 'WWW.example.')], 'www.example.', A);
    expect(s).toMatchObject({ end: 'loop', problem: 'CNAME loop: www.example. → b.example. → WWW.example.' });
  });

  test(`a chain of ${MAX_CHAIN_HOPS} hops is followed; one more is too long`, () => {
    const chain = (hops: number) => {
      const records = [];
      for (let i = 0; i < hops; i++) records.push(rr(`h${i}.example.`, CNAME, `h${i + 1}.example.`));
      records.push(rr(`h${hops}.example.`, A, '192.0.2.1'));
      return selectAnswers(records, 'h0.example.', A);
    };
    expect(chain(MAX_CHAIN_HOPS).end).toBe('answer');
    expect(chain(MAX_CHAIN_HOPS + 1)).toMatchObject({ end: 'too-long', problem: expect.stringMatching(/longer than 16 hops/) });
  });

  test('a second CNAME at the same owner is not followed', () => {
    const s = selectAnswers([rr('www.example.', CNAME, 'a.example.'), rr('www.example.', CNAME, 'evil.example.'), rr('evil.example.', A, '198.51.100.66'), rr('a.example.', A, '192.0.2.1')], 'www.example.', A);
    expect(values(s)).toEqual(['www.example. 5 a.example.', 'a.example. 1 192.0.2.1']);
    expect(s.ignored.map((i) => i.why)).toEqual(['CNAME at www.example. is not the one followed', 'owner evil.example. is neither www.example. nor on its alias chain']);
  });

  test('a CNAME question is answered by the CNAME itself, not followed', () => {
    const s = selectAnswers([rr('www.example.', CNAME, 'a.example.'), rr('a.example.', A, '192.0.2.1')], 'www.example.', CNAME);
    expect(values(s)).toEqual(['www.example. 5 a.example.']);
    expect(s.ignored).toHaveLength(1);
  });

  test('ANY: every type at the name asked answers', () => {
    const s = selectAnswers([rr('example.', A, '192.0.2.1'), rr('example.', MX, 'mail.example.'), rr('other.example.', A, '192.0.2.2')], 'example.', ANY);
    expect(s.records).toHaveLength(2);
    expect(s.ignored).toHaveLength(1);
  });
});

describe('selectAnswers: DNAME (RFC 6672)', () => {
  test('the DNAME, its synthesised CNAME and the target', () => {
    const s = selectAnswers(
      [rr('example.', DNAME, 'example.net.'), rr('www.example.', CNAME, 'www.example.net.'), rr('www.example.net.', A, '192.0.2.7')],
      'www.example.',
      A,
    );
    expect(s.end).toBe('answer');
    expect(s.records).toHaveLength(3);
    expect(s.ignored).toEqual([]);
  });

  test('without the synthesised CNAME the client synthesises the name', () => {
    const s = selectAnswers([rr('example.', DNAME, 'example.net.'), rr('a.b.example.net.', A, '192.0.2.7')], 'A.b.example.', A);
    expect(values(s)).toEqual(['example. 39 example.net.', 'a.b.example.net. 1 192.0.2.7']);
  });

  test('a CNAME that disagrees with the DNAME loses', () => {
    const s = selectAnswers(
      [rr('example.', DNAME, 'example.net.'), rr('www.example.', CNAME, 'evil.example.'), rr('evil.example.', A, '198.51.100.66'), rr('www.example.net.', A, '192.0.2.7')],
      'www.example.',
      A,
    );
    expect(values(s)).toEqual(['example. 39 example.net.', 'www.example.net. 1 192.0.2.7']);
  });

  test('a DNAME does not redirect its own owner name', () => {
    const s = selectAnswers([rr('example.', DNAME, 'example.net.'), rr('example.net.', A, '192.0.2.7')], 'example.', A);
    expect(s.end).toBe('nodata');
  });

  test('the closest DNAME above the name wins', () => {
    const s = selectAnswers([rr('example.', DNAME, 'far.net.'), rr('sub.example.', DNAME, 'near.net.'), rr('www.near.net.', A, '192.0.2.8')], 'www.sub.example.', A);
    expect(s.end).toBe('answer');
    expect(values(s)).toContain('www.near.net. 1 192.0.2.8');
  });

  test('a DNAME pointing below itself grows the name until it is too long; one pointing at itself loops', () => {
    const grow = selectAnswers([rr('example.', DNAME, 'x.example.')], 'www.example.', A);
    expect(grow.end).toBe('too-long');
    const loop = selectAnswers([rr('example.', DNAME, 'example.')], 'www.example.', A);
    expect(loop).toMatchObject({ end: 'loop', problem: expect.stringMatching(/^DNAME loop/) });
  });

  test('labels with an escaped dot are one label: a\\.example. is not below example.', () => {
    const s = selectAnswers([rr('example.', DNAME, 'example.net.')], 'a\\.example.', A);
    expect(s.end).toBe('nodata');
    expect(substitute('www.example.', 'example.', 'example.net.')).toBe('www.example.net.');
    expect(substitute(`${'a'.repeat(63)}.${'b'.repeat(63)}.example.`, 'example.', `${'c'.repeat(63)}.${'d'.repeat(63)}.net.`)).toBeUndefined();
  });
});

describe('statusOfReply: RCODE and chain → status', () => {
  test.each<[number, AnswerSelection['end'], string, RegExp | undefined]>([
    [0, 'answer', 'ok', undefined],
    [0, 'nodata', 'nodata', undefined],
    [3, 'nodata', 'nxdomain', undefined],
    [3, 'loop', 'error', /loop/],
    [0, 'too-long', 'error', /long/],
    [2, 'answer', 'servfail', undefined],
    [5, 'nodata', 'refused', undefined],
    [16, 'nodata', 'error', /BADVERS/],
    [19, 'nodata', 'error', /BADMODE/],
    [1, 'nodata', 'error', /FORMERR/],
  ])('RCODE %i, chain %s → %s', (rcode, end, status, error) => {
    const result = statusOfReply(rcode, { end, problem: end === 'loop' ? 'CNAME loop: a → a' : end === 'too-long' ? 'too long' : undefined });
    expect(result.status).toBe(status);
    if (error) expect(result.error).toMatch(error);
  });
});

describe('property: a record of another owner, type or class never answers', () => {
  // Legitimate records: a chain from q0.example. through CNAMEs (any order) to records of
  // the type asked. Noise: owners outside the chain (any type), the chain's owners with
  // another type, or any owner in another class. No noise record may be selected.
  const asked = fc.constantFrom(A, AAAA, MX, TXT);
  const noiseType = fc.constantFrom(A, AAAA, MX, TXT, 99);
  const scenario = fc.record({
    type: asked,
    hops: fc.integer({ min: 0, max: 5 }),
    finals: fc.integer({ min: 0, max: 3 }),
    noise: fc.array(
      fc.record({ kind: fc.constantFrom('owner', 'type', 'class'), at: fc.nat(), type: noiseType, caseFlip: fc.boolean() }),
      { maxLength: 8 },
    ),
    order: fc.array(fc.nat(), { maxLength: 20 }),
  });

  test('selected records are all legitimate, and every noise record is ignored', () => {
    fc.assert(
      fc.property(scenario, ({ type, hops, finals, noise, order }) => {
        const names = Array.from({ length: hops + 1 }, (_, i) => `q${i}.example.`);
        const legit: DnsRecord[] = [];
        for (let i = 0; i < hops; i++) legit.push(rr(names[i]!, CNAME, names[i + 1]!));
        for (let i = 0; i < finals; i++) legit.push(value(names[hops]!, type, i));
        const junk: DnsRecord[] = noise.map((n, i) => {
          const onChain = names[n.at % names.length]!;
          const owner = n.caseFlip ? onChain.toUpperCase() : onChain;
          if (n.kind === 'owner') return value(`noise${i}.example.`, n.type === 99 ? type : n.type, i);
          if (n.kind === 'class') return { ...value(owner, n.type === 99 ? type : n.type, i), class: 3 };
          const other = n.type === type || n.type === 99 ? (type === A ? AAAA : A) : n.type;
          // another type at a chain name that is not the end: no record of the type asked is there anyway
          return value(owner, other, i);
        });
        const all = shuffle([...legit, ...junk], order);
        const s = selectAnswers(all, names[0]!, type);
        for (const record of s.records) expect(junk).not.toContain(record);
        expect(s.records.length + s.ignored.length).toBe(all.length);
        expect(s.end).toBe(finals > 0 ? 'answer' : 'nodata');
        expect(s.records).toHaveLength(hops + finals);
        // the fast path for the plain reply agrees with the walk on every section
        expect(s).toEqual(selectAnswersByChain(all, names[0]!, type));
      }),
      { numRuns: 1000 },
    );
  });

  test('the plain reply (every record at the name asked, of its type, any case) takes the fast path with the same result as the walk', () => {
    fc.assert(
      fc.property(asked, fc.array(fc.boolean(), { maxLength: 6 }), fc.boolean(), (type, cases, withDot) => {
        const name = withDot ? 'www.example.' : 'www.example';
        const section = cases.map((upper, i) => value(upper ? 'WWW.Example.' : 'www.example.', type, i));
        const s = selectAnswers(section, name, type);
        expect(s).toEqual(selectAnswersByChain(section, name, type));
        expect(s.records).toEqual(section);
        expect(s.end).toBe(section.length > 0 ? 'answer' : 'nodata');
      }),
    );
  });
});

function value(name: string, type: number, i: number): DnsRecord {
  if (type === A) return rr(name, A, `192.0.2.${i % 250}`);
  if (type === AAAA) return rr(name, AAAA, `2001:db8::${i}`);
  if (type === TXT) return rr(name, TXT, `t${i}`);
  if (type === MX) return { name, type: MX, class: 1, ttl: 60, data: { kind: 'MX', preference: i, exchange: 'mx.example.' } };
  return { name, type, class: 1, ttl: 60, data: { kind: 'RAW', bytes: Buffer.from([i & 0xff]) } };
}

/** A deterministic permutation driven by `order`. */
function shuffle<T>(items: T[], order: number[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (order[i % Math.max(1, order.length)] ?? 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
