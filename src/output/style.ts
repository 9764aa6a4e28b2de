// Minimal ANSI styling; a Terminal with colour off gets the text unchanged.
import type { Terminal } from './terminal.js';

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
} as const;

export type Style = keyof typeof CODES;

export function paint(term: Terminal, style: Style, text: string): string {
  if (!term.color) return text;
  const [open, close] = CODES[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}
