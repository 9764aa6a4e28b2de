import { expect, test } from '@jest/globals';
import stringWidth from '../../src/vendor/string-width-lite.js';

test('ASCII counts one column per character, ANSI escapes none', () => {
  expect(stringWidth('sockkit resolve <names..>')).toBe(25);
  expect(stringWidth('\u001b[1mbold\u001b[22m')).toBe(4);
});

test('wide and zero-width characters', () => {
  expect(stringWidth('日本')).toBe(4);
  expect(stringWidth('e\u0301')).toBe(1); // e + combining acute
  expect(stringWidth('bücher')).toBe(6);
  expect(stringWidth('')).toBe(0);
});
