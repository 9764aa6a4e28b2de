import { notImplemented } from './not-implemented.js';

export default notImplemented('bind', 'bind a TCP or UDP socket and report what was bound', [
  ['sockkit bind --port 0', 'ask the kernel for an ephemeral port'],
  ['sockkit bind --port 8080 --hold', 'hold port 8080 until Ctrl-C'],
]);
