// clientCa: under bin/sockkit (SOCKKIT_BUNDLED_ROOTS=1, node with --use-openssl-ca) every
// client context gets an explicit trust list: --cacert's alone, or Node's bundled roots,
// never OpenSSL's default paths. Without the marker Node's default stays in charge.
import { afterEach, describe, expect, test } from '@jest/globals';
import { rootCertificates } from 'node:tls';
import { BUNDLED_ROOTS_MARKER, clientCa, passesBundledRoots } from '../../src/net/socket/root-store.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const saved = { marker: process.env[BUNDLED_ROOTS_MARKER], file: process.env.SSL_CERT_FILE, dir: process.env.SSL_CERT_DIR };

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

afterEach(() => {
  restore(BUNDLED_ROOTS_MARKER, saved.marker);
  restore('SSL_CERT_FILE', saved.file);
  restore('SSL_CERT_DIR', saved.dir);
});

describe('clientCa without the launcher', () => {
  test("no --cacert: no `ca`, so Node's default store", () => {
    delete process.env[BUNDLED_ROOTS_MARKER];
    expect(clientCa(undefined)).toEqual({});
  });

  test('--cacert: that file alone', () => {
    delete process.env[BUNDLED_ROOTS_MARKER];
    expect(clientCa(PEM)).toEqual({ ca: PEM });
  });

  test('only the value 1 is the marker', () => {
    expect(passesBundledRoots({ [BUNDLED_ROOTS_MARKER]: '0' })).toBe(false);
    expect(passesBundledRoots({ [BUNDLED_ROOTS_MARKER]: '' })).toBe(false);
    expect(passesBundledRoots({ [BUNDLED_ROOTS_MARKER]: '1' })).toBe(true);
  });
});

describe('clientCa under bin/sockkit', () => {
  // First: the shared store is emptied once per process, at the first call.
  test("the user's SSL_CERT_FILE and SSL_CERT_DIR are as they were afterwards", () => {
    process.env[BUNDLED_ROOTS_MARKER] = '1';
    process.env.SSL_CERT_FILE = '/some/file.pem';
    delete process.env.SSL_CERT_DIR;
    clientCa(undefined);
    expect(process.env.SSL_CERT_FILE).toBe('/some/file.pem');
    expect(process.env.SSL_CERT_DIR).toBeUndefined();
  });

  test("no --cacert: exactly Node's bundled roots", () => {
    process.env[BUNDLED_ROOTS_MARKER] = '1';
    const { ca } = clientCa(undefined);
    expect(ca).toEqual([...rootCertificates]);
    expect((ca as string[]).length).toBeGreaterThan(100);
  });

  test('--cacert: that file alone, no bundled root beside it (it replaces them, as curl --cacert does)', () => {
    process.env[BUNDLED_ROOTS_MARKER] = '1';
    expect(clientCa(PEM)).toEqual({ ca: PEM });
    expect(clientCa([PEM, PEM])).toEqual({ ca: [PEM, PEM] });
  });
});
