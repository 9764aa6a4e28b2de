import { notImplemented } from './not-implemented.js';

export default notImplemented('echo-server', 'run an RFC 862 echo server (TCP and/or UDP)', [
  ['sockkit echo-server --port 9000', 'echo TCP on 127.0.0.1:9000'],
  ['sockkit echo-server --port 0 --json', 'NDJSON events, port chosen by the kernel'],
]);
