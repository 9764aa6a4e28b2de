// The floor for sockkit threaded-server: the smallest node:cluster echo server.
//   node bench/minimal-cluster-server.cjs WORKERS PORT
const cluster = require('cluster');
const net = require('net');
const [workers, port] = [Number(process.argv[2]), Number(process.argv[3])];
if (cluster.isPrimary) for (let i = 0; i < workers; i++) cluster.fork();
else net.createServer({ noDelay: true }, (s) => { s.on('error', () => {}); s.pipe(s); }).listen({ port, host: '127.0.0.1', backlog: 4096 });
