// In-memory stand-ins for stdout/stderr, as a TTY or as a pipe.
import type { OutStream } from '../../src/output/terminal.js';

export class FakeStream implements OutStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY = false,
    readonly columns = isTTY ? 100 : 0,
  ) {}
  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  }
  // What ora needs of a TTY stream.
  cursorTo(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}
