import { notImplemented } from './not-implemented.js';

export default notImplemented('resolve <names..>', 'resolve names to addresses (system resolver or a DNS server)', [
  ['sockkit resolve localhost', 'addresses from the system resolver'],
  ['sockkit resolve example.com --server 127.0.0.1:5353 --type MX', 'MX records from one DNS server'],
]);
