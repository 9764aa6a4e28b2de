// What the benchmarks read about the processes they start, from /proc, and the two
// socket helpers every server-starting script needs. Shared by echo-measure.mjs,
// threaded-measure.mjs and interleaved.ts (types in proc.d.mts). Loopback only.
import { readFileSync, readdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** USER_HZ, the unit of the CPU times in /proc/PID/stat: 100 on every Linux Node runs on. */
export const CLOCK_TICKS = 100;

/** The fields of /proc/PID/stat after the command name (field 3 first); [] once it is gone. */
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return [];
  }
}

/** Resident set size in bytes (VmRSS); 0 once the process is gone. */
export function rssBytes(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** CPU ticks used: user + system, plus reaped children's with `withChildren` (forking servers). */
export function cpuTicks(pid, withChildren = false) {
  const f = procStat(pid).map(Number);
  if (f.length === 0) return 0;
  // utime stime cutime cstime: fields 14-17 of stat, 11-14 after the command name
  return f[11] + f[12] + (withChildren ? f[13] + f[14] : 0);
}

/** Minor page faults so far (minflt, field 10). */
export function minorFaults(pid) {
  return Number(procStat(pid)[7] ?? 0);
}

/** A process and every descendant (cluster workers, forked children). */
export function processTree(pid) {
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${found[i]}/task`)) {
        const children = readFileSync(`/proc/${found[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) found.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      /* gone */
    }
  }
  return found;
}

export function sumOverTree(pid, valueOf) {
  return processTree(pid).reduce((total, p) => total + valueOf(p), 0);
}

/** A port the kernel has just called free on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
