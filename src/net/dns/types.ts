// Record type numbers beyond RFC 1035's, in a module of their own (no imports), so
// that the codec (packet.ts) and the formatters (rdata.ts) can both use them whatever
// order they load in.

/** The types rdata.ts formats (RFC 1183, 1876, 3403, 4034, 5155, 6698, 4255, 7344, 7553, 9460). */
export const EXTRA_TYPES = {
  HINFO: 13,
  LOC: 29,
  NAPTR: 35,
  DS: 43,
  SSHFP: 44,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  CDS: 59,
  CDNSKEY: 60,
  SVCB: 64,
  HTTPS: 65,
  URI: 256,
} as const;

/** Names only (NSEC bitmaps, --type), as IANA's registry and dig spell them; shown in RFC 3597 form. */
export const NAMED_ONLY_TYPES: Record<string, number> = {
  NULL: 10, WKS: 11, RP: 17, AFSDB: 18, KX: 36, CERT: 37, APL: 42, IPSECKEY: 45, DHCID: 49,
  SMIMEA: 53, HIP: 55, OPENPGPKEY: 61, CSYNC: 62, ZONEMD: 63, SPF: 99, EUI48: 108, EUI64: 109,
  TKEY: 249, TSIG: 250, IXFR: 251, AXFR: 252,
};
