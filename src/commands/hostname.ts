import { notImplemented } from './not-implemented.js';

export default notImplemented('hostname', 'show this machine\'s host name, FQDN and addresses', [
  ['sockkit hostname', 'print the host name'],
  ['sockkit hostname --all', 'list every interface address'],
]);
