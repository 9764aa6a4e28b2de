import { notImplemented } from './not-implemented.js';

export default notImplemented('echo-client', 'send messages to an echo server and measure round trips', [
  ['sockkit echo-client --port 9000 --message hi', 'one round trip'],
  ['sockkit echo-client --port 9000 --concurrency 100 --duration 5', 'load test with 100 connections'],
]);
