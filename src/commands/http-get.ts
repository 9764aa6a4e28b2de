import { notImplemented } from './not-implemented.js';

export default notImplemented('http-get <url>', 'fetch a URL over HTTP/1.1 written on a raw socket', [
  ['sockkit http-get http://127.0.0.1:8080/', 'print a page'],
  ['sockkit http-get https://example.com/ --timing', 'show DNS, connect, TLS and transfer timings'],
]);
