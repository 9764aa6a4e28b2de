// Renderers: one result, several faces. A table (cli-table3) on a TTY; the same
// rows as tab-separated lines when piped, so cut/awk work; JSON with --json.
import type { Terminal } from './terminal.js';
import { paint, type Style } from './style.js';

export type Cell = string | number | boolean | null | undefined;

export interface Column<Row> {
  header: string;
  value: (row: Row) => Cell;
  /** Colour for the cell on a TTY. */
  style?: (row: Row) => Style | undefined;
  align?: 'left' | 'right';
}

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  return String(cell);
}

/** Rows as a bordered table on a TTY, as tab-separated lines (no header) when piped. */
export async function printTable<Row>(term: Terminal, columns: Column<Row>[], rows: Row[]): Promise<void> {
  if (!term.isStdoutTTY) {
    for (const row of rows) term.out(columns.map((c) => plainCell(cellText(c.value(row)))).join('\t'));
    return;
  }
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head: columns.map((c) => paint(term, 'bold', c.header)),
    style: { head: [], border: term.color ? ['grey'] : [] },
    colAligns: columns.map((c) => c.align ?? 'left'),
  });
  for (const row of rows) {
    table.push(
      columns.map((c) => {
        const text = cellText(c.value(row));
        const style = c.style?.(row);
        return style ? paint(term, style, text) : text;
      }),
    );
  }
  term.out(table.toString());
}

/** Label/value pairs: a two-column table on a TTY, `label<TAB>value` lines when piped. */
export async function printFields(term: Terminal, fields: Array<[string, Cell]>): Promise<void> {
  const present = fields.filter(([, v]) => v !== undefined);
  if (!term.isStdoutTTY) {
    for (const [k, v] of present) term.out(`${k}\t${plainCell(cellText(v))}`);
    return;
  }
  const { default: Table } = await import('cli-table3');
  const table = new Table({ style: { head: [], border: term.color ? ['grey'] : [] } });
  for (const [k, v] of present) table.push({ [paint(term, 'bold', k)]: cellText(v) });
  term.out(table.toString());
}

/** One JSON document on stdout (one-shot commands). */
export function printJson(term: Terminal, doc: unknown): void {
  term.out(jsonText(doc, 2));
  term.printedDocument = true;
}

/** One JSON object per line (servers, streamed measurements). */
export function printNdjson(term: Terminal, record: unknown): void {
  term.out(jsonText(record));
}

/** Every JSON sockkit prints goes through here, so every number is shown at its unit's precision. */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, roundJsonNumber, indent);
}

/**
 * JSON.stringify replacer: a measured float is rounded to what its unit can honestly
 * claim, not printed with binary float noise (0.4130689999999504 → 0.413):
 * milliseconds (`…Ms`) to the microsecond, rates (`…MBps`, `…PerSecond`) and
 * percentages to 3 decimals; any other fraction to 12 significant digits, which
 * drops only the noise (2^-23 in `precisionSeconds` stays exact). Integers pass as they are.
 */
export function roundJsonNumber(key: string, value: unknown): unknown {
  if (typeof value !== 'number' || !Number.isFinite(value) || Number.isInteger(value)) return value;
  if (/(Ms|MBps|PerSecond|Percent)$/.test(key)) return Math.round(value * 1000) / 1000;
  return Number(value.toPrecision(12));
}

// A tab or newline inside a value would break the one-record-per-line promise.
function plainCell(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ');
}
