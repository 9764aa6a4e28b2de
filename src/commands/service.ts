import { notImplemented } from './not-implemented.js';

export default notImplemented('service <query>', 'look up service names and port numbers', [
  ['sockkit service 443', 'which service uses port 443'],
  ['sockkit service ssh', 'which port ssh uses'],
]);
