// Socket-level trace hook. The core calls it at each step (resolve, socket, bind,
// connect, send, recv, close, ...); the output layer decides how to print it.
// The core never prints. One convention: every function of the core that has steps to
// show takes a `trace` (required; noTrace when the command does not trace), and code
// that would build an expensive trace line asks tracing(trace) first.

export type TraceFn = (step: string, detail: string) => void;

/** A tracer that does nothing, so core code can call `trace(...)` unconditionally. */
export const noTrace: TraceFn = () => {};

/** Whether `trace` prints anything: to skip building a trace line nobody reads. */
export function tracing(trace: TraceFn): boolean {
  return trace !== noTrace;
}
