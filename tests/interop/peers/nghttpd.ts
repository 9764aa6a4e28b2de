// nghttpd (package nghttp2-server), a second HTTP/2 server: h2c (--no-tls) on a free
// loopback port, serving a docroot of the test's; stopped by its PID.
import { freeTcpPort, acceptsTcp } from '../../helpers/ports.js';
import { startProcess, waitFor } from '../../helpers/process.js';

export interface Nghttpd {
  port: number;
  stop(): Promise<void>;
}

export async function startNghttpd(docroot: string): Promise<Nghttpd> {
  const port = await freeTcpPort();
  const nghttpd = startProcess('nghttpd', ['--no-tls', '-a', '127.0.0.1', '-d', docroot, String(port)]);
  try {
    await waitFor(() => acceptsTcp(port), 10000, `nghttpd on port ${port}`);
  } catch (err) {
    await nghttpd.stop('SIGTERM');
    throw new Error(`${(err as Error).message}\n${nghttpd.output()}`);
  }
  return { port, stop: () => nghttpd.stop('SIGTERM', 3000) };
}

