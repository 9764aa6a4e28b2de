// The floor for sockkit echo-server: the smallest Node echo server, `socket.pipe(socket)`.
//   node bench/minimal-echo-server.cjs PORT
const net = require('net');
net.createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen({ port: +process.argv[2], host: '127.0.0.1', backlog: 4096 });
