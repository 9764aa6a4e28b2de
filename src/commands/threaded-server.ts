import { notImplemented } from './not-implemented.js';

export default notImplemented('threaded-server', 'serve one port from every CPU core (node:cluster workers)', [
  ['sockkit threaded-server --port 9000', 'echo on every core'],
  ['sockkit threaded-server --handler reply --reply thanks', 'the classic thank-you server'],
]);
