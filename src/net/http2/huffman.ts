// HPACK's Huffman code (RFC 7541 Appendix B). The code is canonical: each symbol's code
// follows from the code lengths alone (shorter codes first, equal lengths in symbol
// order), so the table below is the 257 lengths and the codes are computed from them.
// The tests check the result against the RFC's codes and its Appendix C examples.

/** Code length in bits of symbols 0-255 and of EOS (256), in symbol order. */
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

export const EOS = 256;
const MAX_LENGTH = 30;

/** codes[symbol], lengths[symbol]; and per length, the first code and the symbols that have it. */
function buildCode() {
  const codes = new Array<number>(LENGTHS.length);
  const firstCode = new Array<number>(MAX_LENGTH + 2).fill(0);
  const bySymbolOfLength: number[][] = Array.from({ length: MAX_LENGTH + 1 }, () => []);
  LENGTHS.forEach((len, symbol) => bySymbolOfLength[len]!.push(symbol));
  let code = 0;
  for (let len = 1; len <= MAX_LENGTH; len++) {
    firstCode[len] = code;
    for (const symbol of bySymbolOfLength[len]!) codes[symbol] = code++;
    code <<= 1;
  }
  return { codes, firstCode, bySymbolOfLength };
}

const { codes: CODES, firstCode: FIRST_CODE, bySymbolOfLength: SYMBOLS_OF_LENGTH } = buildCode();

/** The code of `symbol` and its length: for the tests and the encoder. */
export function huffmanCode(symbol: number): { code: number; bits: number } {
  return { code: CODES[symbol]!, bits: LENGTHS[symbol]! };
}

/** Bytes the Huffman encoding of `data` takes. */
export function huffmanLength(data: Buffer): number {
  let bits = 0;
  for (const byte of data) bits += LENGTHS[byte]!;
  return Math.ceil(bits / 8);
}

export function huffmanEncode(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(huffmanLength(data));
  let at = 0;
  // Up to 7 bits waiting plus a 30-bit code: exact in a double (2^53), not in an int32.
  let pending = 0;
  let pendingBits = 0;
  for (const byte of data) {
    pending = pending * 2 ** LENGTHS[byte]! + CODES[byte]!;
    pendingBits += LENGTHS[byte]!;
    while (pendingBits >= 8) {
      pendingBits -= 8;
      const scale = 2 ** pendingBits;
      out[at++] = Math.floor(pending / scale);
      pending %= scale;
    }
  }
  // Padding: the most significant bits of EOS, which are all ones (RFC 7541 5.2).
  if (pendingBits > 0) out[at++] = (pending << (8 - pendingBits)) | (0xff >> pendingBits);
  return out;
}

/**
 * Decodes a Huffman-coded string; null when it is not valid HPACK: a code that is EOS,
 * padding longer than 7 bits, or padding that is not the start of EOS (RFC 7541 5.2).
 */
export function huffmanDecode(data: Buffer): Buffer | null {
  // A code is at least 5 bits: the output is at most 8/5 of the input.
  const out = Buffer.allocUnsafe(Math.ceil((data.length * 8) / 5));
  let at = 0;
  let code = 0;
  let len = 0;
  let allOnes = true;
  for (const byte of data) {
    for (let bit = 7; bit >= 0; bit--) {
      const b = (byte >> bit) & 1;
      code = code * 2 + b;
      len++;
      allOnes &&= b === 1;
      const index = code - FIRST_CODE[len]!;
      const symbols = SYMBOLS_OF_LENGTH[len]!;
      if (index >= 0 && index < symbols.length) {
        const symbol = symbols[index]!;
        if (symbol === EOS) return null;
        out[at++] = symbol;
        code = 0;
        len = 0;
        allOnes = true;
      } else if (len >= MAX_LENGTH) {
        return null;
      }
    }
  }
  if (len > 7 || !allOnes) return null;
  return out.subarray(0, at);
}
