// RFC 868 Time Protocol: the time as one 32-bit unsigned big-endian number of
// seconds since 1900-01-01T00:00:00Z, sent by the server, which then closes.
// Pure codec: no sockets here.

/** Seconds between 1900-01-01 (RFC 868 epoch) and 1970-01-01 (Unix epoch). */
export const RFC868_EPOCH_OFFSET_SECONDS = 2_208_988_800;

const TWO_TO_32 = 2 ** 32;

/**
 * The 4 bytes a time server sends for `unixMs`. The field has 32 bits, so it wraps
 * on 2036-02-07T06:28:16Z (like NTP era 0); we send the value modulo 2^32, which is
 * what RFC 868 clients that know about the rollover expect.
 */
export function encodeRfc868Time(unixMs: number): Buffer {
  const seconds = Math.floor(unixMs / 1000) + RFC868_EPOCH_OFFSET_SECONDS;
  const wrapped = ((seconds % TWO_TO_32) + TWO_TO_32) % TWO_TO_32;
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(wrapped, 0);
  return bytes;
}

/**
 * Unix milliseconds for 4 RFC 868 bytes. `nearUnixMs` picks the 2^32-second era
 * closest to it, so a value received after the 2036 rollover still decodes right.
 */
export function decodeRfc868Time(bytes: Uint8Array, nearUnixMs: number = Date.now()): number {
  if (bytes.length !== 4) throw new RangeError(`an RFC 868 time is 4 bytes, got ${bytes.length}`);
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, 4).readUInt32BE(0);
  const nearSeconds = Math.floor(nearUnixMs / 1000) + RFC868_EPOCH_OFFSET_SECONDS;
  const era = Math.round((nearSeconds - raw) / TWO_TO_32);
  return (raw + era * TWO_TO_32 - RFC868_EPOCH_OFFSET_SECONDS) * 1000;
}
