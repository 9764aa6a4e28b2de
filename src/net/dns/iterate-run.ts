// resolve --iterate for a list of questions: one IterativeResolver for the run (the zone cuts it
// learns serve every later name), the questions one after another so that each one's
// steps read in order, each result in resolve's shape plus its steps; with --validate,
// the chain of trust is fetched through the same walk (DS from the parent's servers,
// DNSKEY from the zone's), never from a recursive server.
import { IterativeResolver, type IterateOptions, type IterationOutcome, type IterationStep } from './iterate.js';
import { fqdn } from './names.js';
import { RecordType, typeName, typeNumber, type DnsRecord } from './packet.js';
import { DNSSEC_TYPES, elapsedSince, toAnswer, type ResolveQuestion, type ResolveResult } from './resolve.js';
import type { ChainValidator, SecurityVerdict } from '../dnssec/validate.js';
import type { TrustAnchors } from '../dnssec/anchors.js';
import { toSockkitError } from '../shared/errors.js';
import { monotonicMs } from '../shared/deadline.js';

/** A resolve result with the walk that led to it. */
export interface IterateResult extends ResolveResult {
  steps: IterationStep[];
}

export interface IterateRunOptions extends IterateOptions {
  /** --dnssec: the RRSIGs of the answer are shown with it. */
  dnssec: boolean;
  validate?: { anchors: TrustAnchors; chain: boolean };
  signal?: AbortSignal;
  onResult: (result: IterateResult) => void;
}


export async function iterateAll(questions: ResolveQuestion[], options: IterateRunOptions): Promise<void> {
  const iterator = new IterativeResolver(options);
  const validator = options.validate ? await validatorFor(iterator, options) : undefined;
  try {
    for (const question of questions) {
      if (options.signal?.aborted) throw toSockkitError(options.signal.reason, 'resolve --iterate');
      const queryName = fqdn(question.name);
      const type = question.type as number;
      const started = monotonicMs();
      const outcome = await iterator.resolve(queryName, type);
      const result = resultOf(question, queryName, type, outcome, options.dnssec);
      if (validator) await validate(result, outcome, validator, options.validate!.chain);
      result.timeMs = elapsedSince(started);
      options.onResult(result);
    }
  } finally {
    await iterator.close();
  }
}

function resultOf(question: ResolveQuestion, queryName: string, type: number, outcome: IterationOutcome, dnssec: boolean): IterateResult {
  const result: IterateResult = {
    name: question.name.input,
    queryName,
    type: typeName(type),
    status: outcome.status,
    server: outcome.server ?? 'iterate',
    timeMs: 0,
    answers: outcome.records.map(toAnswer),
    steps: outcome.steps,
  };
  if (question.name.idn) result.asciiName = question.name.ascii;
  if (outcome.rcode) result.rcode = outcome.rcode;
  if (outcome.error) result.error = outcome.error;
  if (dnssec && outcome.message) {
    // --dnssec: the signatures and proofs owned by the chain's names, as returned
    const owners = new Set([queryName, ...outcome.records.map((r) => r.name)].map((n) => n.toLowerCase()));
    result.answers.push(...outcome.message.answers.filter((r) => DNSSEC_TYPES.has(r.type) && owners.has(r.name.toLowerCase())).map(toAnswer));
  }
  return result;
}

async function validatorFor(iterator: IterativeResolver, options: IterateRunOptions): Promise<ChainValidator> {
  // node:crypto (which the validator loads) only with --validate
  const { ChainValidator } = await import('../dnssec/validate.js');
  const validator = new ChainValidator((name, type) => {
    options.trace('dnssec', `fetching ${typeName(type)} ${name}`);
    return iterator.fetch(name, type);
  }, options.validate!.anchors);
  return validator;
}

/** The answer's security, from the records the walk gathered (every answer section along the CNAMEs, the last reply's proofs). */
async function validate(result: IterateResult, outcome: IterationOutcome, validator: ChainValidator, chain: boolean): Promise<void> {
  if (!outcome.message || (result.status !== 'ok' && result.status !== 'nxdomain' && result.status !== 'nodata')) return;
  const records: DnsRecord[] = outcome.records;
  let verdict: SecurityVerdict;
  if (result.status === 'ok') {
    verdict = await validator.validateAnswer(outcome.message, records);
  } else {
    verdict = await validator.validateDenial(outcome.message, outcome.lastName, typeNumber(result.type) ?? RecordType.A, result.status === 'nxdomain');
    if (verdict.status === 'secure' && records.length > 0) {
      const aliases = await validator.validateAnswer(outcome.message, records);
      if (aliases.status !== 'secure') verdict = aliases;
    }
  }
  result.security = verdict.status;
  if (verdict.reason) result.securityReason = verdict.reason;
  if (chain && verdict.chain) result.chain = verdict.chain;
}
