import { notImplemented } from './not-implemented.js';

export default notImplemented('ntp [servers..]', 'query NTP servers for the time, offset and delay', [
  ['sockkit ntp pool.ntp.org', 'clock offset against the NTP pool'],
  ['sockkit ntp 127.0.0.1 --port 11123 --samples 5', 'five samples from a local server'],
]);
