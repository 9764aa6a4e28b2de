// Stand-in for `string-width` inside yargs and cliui only (see esbuild.config.mjs).
// The real one builds an Intl.Segmenter and Unicode tables when it loads, ≈10 ms of
// every start-up, to measure help text that sockkit writes in ASCII. This counts code
// points after removing ANSI escapes, with East Asian wide and fullwidth forms as 2.
import { stripVTControlCharacters } from 'node:util';

const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;
const ZERO_WIDTH = /[\u0300-\u036f\u200b-\u200f\u20d0-\u20ff\ufe00-\ufe0f]/u;

export default function stringWidth(text: string): number {
  let width = 0;
  for (const ch of stripVTControlCharacters(text)) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0) || ZERO_WIDTH.test(ch)) continue;
    width += WIDE.test(ch) || code >= 0x1f300 ? 2 : 1;
  }
  return width;
}
