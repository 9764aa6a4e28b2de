// Socket-level trace hook. The core calls it at each step (resolve, socket, bind,
// connect, send, recv, close, ...); the output layer decides how to print it.
// The core never prints, so a caller that passes no tracer pays nothing.

export type TraceFn = (step: string, detail: string) => void;

/** A tracer that does nothing, so core code can call `trace(...)` unconditionally. */
export const noTrace: TraceFn = () => {};
