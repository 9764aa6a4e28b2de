// Node's default trust store, built only when a command needs it. In Node 20 the first
// secure context of a process parses every bundled root certificate (≈140, 25 ms here),
// even one given its own `ca` (--cacert): it builds the shared root store just to tell
// it apart from the context's own (SecureContext::GetCertStoreOwnedByThisSecureContext).
// With --use-openssl-ca that shared store is OpenSSL's default paths instead, read from
// SSL_CERT_FILE (eagerly) and SSL_CERT_DIR (lazily, by subject hash).
//
// So bin/sockkit starts node with --use-openssl-ca and sets SOCKKIT_BUNDLED_ROOTS=1,
// and here (1) the shared store is built once from nothing (both variables point at
// /dev/null while it is made): ≈2 ms; (2) every client context gets an explicit `ca`:
// --cacert's file, or Node's bundled roots (tls.rootCertificates) — the trust Node's
// default would have given, so OpenSSL verifies against the same certificates as
// before. A context that forgot its `ca` would get the empty store and refuse every
// server: the mistake fails closed. Without the marker (node run directly, or
// NODE_OPTIONS picking a CA store) Node's default stays in charge, as before.
import { builtin } from '../shared/builtin.js';

/** Set by bin/sockkit beside --use-openssl-ca: sockkit passes Node's bundled roots itself. */
export const BUNDLED_ROOTS_MARKER = 'SOCKKIT_BUNDLED_ROOTS';

type CaList = string | Buffer | Array<string | Buffer>;

let sharedStoreEmptied = false;

/** Whether this process was started by bin/sockkit in the mode above. */
export function passesBundledRoots(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[BUNDLED_ROOTS_MARKER] === '1';
}

/**
 * The `ca` a client secure context is built with: `ca` when given; Node's bundled roots
 * when sockkit passes them itself; otherwise none (Node's default store).
 */
export function clientCa(ca: CaList | undefined): { ca?: CaList } {
  if (!passesBundledRoots()) return ca === undefined ? {} : { ca };
  emptySharedStore();
  return { ca: ca ?? [...builtin('node:tls').rootCertificates] };
}

/**
 * Before the first secure context of a process started with --use-openssl-ca: builds
 * OpenSSL's shared default store with nothing in it (no file, no directory), so that it
 * costs no parsing. Servers call it too (their store only verifies client certificates,
 * and those need --cacert).
 */
export function emptySharedStore(): void {
  if (sharedStoreEmptied || !passesBundledRoots()) return;
  sharedStoreEmptied = true;
  const saved = { SSL_CERT_FILE: process.env.SSL_CERT_FILE, SSL_CERT_DIR: process.env.SSL_CERT_DIR };
  // Only root can put anything at /dev/null: neither a file of certificates nor a directory.
  process.env.SSL_CERT_FILE = '/dev/null';
  process.env.SSL_CERT_DIR = '/dev/null';
  try {
    builtin('node:tls').createSecureContext(); // no `ca`: adopts, and so builds, the shared store
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
