// The ora spinner, on stderr, only for a human watching (see Terminal.showsProgress).
// ora is imported lazily: commands that never wait do not pay for loading it.
import type { Terminal } from './terminal.js';

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

const NO_SPINNER: Spinner = { update() {}, stop() {} };

export async function startSpinner(term: Terminal, text: string): Promise<Spinner> {
  if (!term.showsProgress) return NO_SPINNER;
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: term.stderr as NodeJS.WritableStream, discardStdin: false }).start();
  return {
    update(next: string) {
      spinner.text = next;
    },
    stop() {
      spinner.stop();
    },
  };
}

/** Runs `work` with a spinner showing `text`; the spinner always stops. */
export async function withSpinner<T>(term: Terminal, text: string, work: () => Promise<T>): Promise<T> {
  const spinner = await startSpinner(term, text);
  try {
    return await work();
  } finally {
    spinner.stop();
  }
}
