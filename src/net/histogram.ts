// A small log-linear latency histogram (the HdrHistogram idea, ~1% precision):
// values below 256 are counted exactly; above, each power of two is split into 128
// equal sub-buckets. Recording is a few integer operations and one array increment,
// with no allocation, so a load generator can record every round trip. Histograms
// with the same layout add up (`merge`), e.g. one per worker process.

const SUB_BUCKET_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 128
const EXACT_LIMIT = SUB_BUCKETS * 2; // 256
const MAX_EXPONENT = 42; // 2^42 ns ≈ 73 minutes: anything longer is clamped
const BUCKET_COUNT = (MAX_EXPONENT - SUB_BUCKET_BITS + 2) * SUB_BUCKETS;
const TWO_32 = 2 ** 32;

export interface HistogramSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

export class LogLinearHistogram {
  readonly counts = new Float64Array(BUCKET_COUNT);
  count = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  /** Records one non-negative value (integers; fractions are truncated). */
  record(value: number): void {
    const v = value > 0 ? Math.floor(value) : 0;
    this.counts[bucketIndex(v)]! += 1;
    this.count += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: LogLinearHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /**
   * The value at percentile `p` (0–100): the highest value equivalent to the bucket
   * holding that rank, never above the largest value recorded.
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, bucketHighest(i)));
    }
    return this.max;
  }

  summary(): HistogramSummary {
    return {
      count: this.count,
      min: this.count ? this.min : 0,
      max: this.max,
      mean: this.count ? this.sum / this.count : 0,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
    };
  }
}

function highestBit(v: number): number {
  return v < TWO_32 ? 31 - Math.clz32(v) : 63 - Math.clz32(Math.floor(v / TWO_32));
}

export function bucketIndex(v: number): number {
  if (v < EXACT_LIMIT) return v;
  const exponent = Math.min(highestBit(v), MAX_EXPONENT);
  const shift = exponent - SUB_BUCKET_BITS;
  const sub = Math.min(Math.floor(v / 2 ** shift), EXACT_LIMIT - 1); // 128..255
  return shift * SUB_BUCKETS + sub;
}

/** The largest value that lands in bucket `index`. */
export function bucketHighest(index: number): number {
  if (index < EXACT_LIMIT) return index;
  const shift = Math.floor(index / SUB_BUCKETS) - 1;
  const sub = index - shift * SUB_BUCKETS;
  return (sub + 1) * 2 ** shift - 1;
}
