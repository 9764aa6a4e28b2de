// `sockkit hostname`: the host name, its FQDN and where it came from, the addresses.
import { SockkitError, withMeasured } from '../net/shared/errors.js';
import { getHostname, hostAddresses, listInterfaces, lookupFqdn } from '../net/host/hostname.js';
import {
  hostnameJson,
  printAddresses,
  printFqdn,
  printHostname,
  printHostnameJson,
  printInterfaces,
} from '../output/hostname.js';
import { defineCommand } from './common.js';

const FQDN_HINTS = {
  NOT_FOUND: 'add the name to /etc/hosts or DNS',
  TIMEOUT: 'raise it with --timeout SECONDS',
  UNREACHABLE: 'check the nameserver lines of /etc/resolv.conf',
  PROTOCOL: 'the DNS server failed: try again later',
} as const;

export interface HostnameArgs {
  fqdn: boolean;
  ips: boolean;
  all: boolean;
}

export default defineCommand<HostnameArgs>({
  command: 'hostname',
  describe: "show this machine's host name, FQDN and addresses",
  options: {
    fqdn: { alias: 'f', type: 'boolean', default: false, describe: 'the fully qualified name and where it came from (/etc/hosts or dns)' },
    ips: { alias: 'I', type: 'boolean', default: false, describe: 'addresses of this machine, like hostname -I (no loopback, no link-local)' },
    all: { alias: 'a', type: 'boolean', default: false, describe: 'a table of every interface address: name, family, address/CIDR, MAC, scope, internal' },
  },
  examples: [
    ['sockkit hostname', 'print the host name'],
    ['sockkit hostname --fqdn', 'print the fully qualified name and its source'],
    ['sockkit hostname --ips', 'print the addresses other machines can reach, one per line'],
    ['sockkit hostname --all', 'list every interface address'],
    ['sockkit hostname --fqdn --json', 'everything as one JSON document'],
  ],
  defaultTimeoutSeconds: 2,
  run: async (args, ctx) => {
    const hostname = getHostname();
    if (!args.fqdn && !args.ips && !args.all && !args.json) {
      printHostname(ctx.term, hostname);
      return 0;
    }
    const fqdn = args.fqdn ? await lookupFqdn(hostname, { timeoutMs: ctx.timeoutMs, trace: ctx.trace }) : undefined;
    const interfaces = listInterfaces();
    const ips = args.ips ? hostAddresses(interfaces) : undefined;

    const failure = fqdn?.status === 'unresolved'
      ? new SockkitError(fqdn.code, `fqdn of '${hostname}' unresolved`, fqdn.reason,
        FQDN_HINTS[fqdn.code])
      : undefined;
    if (args.json) {
      const doc = hostnameJson(hostname, interfaces, fqdn, ips);
      // One document: what was found, with the error beside it.
      if (failure) throw withMeasured(failure, { ...doc });
      printHostnameJson(ctx.term, doc);
    } else {
      if (fqdn) printFqdn(ctx.term, fqdn);
      if (ips) printAddresses(ctx.term, ips);
      if (args.all) await printInterfaces(ctx.term, interfaces);
    }
    if (failure) throw failure;
    return 0;
  },
});
