// Random bytes for protocol nonces (DNS IDs, NTP origin timestamps) that must be
// unpredictable (RFC 5452 §4.3, RFC 5905 §8) and cheap to get in a short-lived process.
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Fills `view` from the kernel's CSPRNG. /dev/urandom costs three system calls; the
 * first use of Web Crypto (or node:crypto) loads its modules, about 2 ms of start-up
 * for a command that asks one question. Where there is no /dev/urandom, Web Crypto.
 */
export function fillRandom(view: Uint8Array | Uint16Array): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      let filled = 0;
      while (filled < bytes.length) {
        const n = readSync(fd, bytes, filled, bytes.length - filled, null);
        if (n <= 0) throw new Error('short read from /dev/urandom');
        filled += n;
      }
      return;
    } finally {
      closeSync(fd);
    }
  } catch {
    globalThis.crypto.getRandomValues(bytes);
  }
}
