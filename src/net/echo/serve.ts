// RFC 862 echo on one accepted TCP connection: every byte a client sends comes back,
// in order. Used by echo-server and by threaded-server's `echo` handler.
//
// Without a byte budget it echoes with `socket.pipe(socket)`: the socket's own
// readable side feeds its writable side, so when a client sends without reading, the
// kernel send buffer fills, write() returns false, pipe pauses reading, and the
// kernel receive window closes. Server memory stays flat whatever the client does.
// Byte counts come from the socket's own counters (bytesRead / bytesWritten), so
// echoing costs nothing per chunk beyond pipe.
import { writeBack, type ServedConnection } from '../socket/served-connection.js';

/** Echoes on `connection`; with `maxBytes`, at most that many bytes, then FIN. */
export function serveEcho(connection: ServedConnection, maxBytes?: number): void {
  const socket = connection.socket;
  if (maxBytes === undefined) {
    socket.pipe(socket);
    connection.onStop(() => socket.unpipe(socket));
    return;
  }
  echoUpTo(connection, maxBytes);
}

/**
 * Echo with a byte budget: the same flow control as pipe (pause when write() returns
 * false, resume on 'drain'), but the chunk that crosses the limit is cut, and the
 * server then sends FIN.
 */
function echoUpTo(connection: ServedConnection, maxBytes: number): void {
  const socket = connection.socket;
  let echoed = 0;
  const onData = (chunk: Buffer) => {
    const remaining = maxBytes - echoed;
    if (chunk.length >= remaining) {
      if (remaining > 0) socket.write(chunk.subarray(0, remaining));
      echoed = maxBytes;
      connection.finish('max-bytes');
      return;
    }
    echoed += chunk.length;
    writeBack(socket, chunk);
  };
  socket.on('data', onData);
  connection.onStop(() => socket.off('data', onData));
  socket.once('end', () => {
    if (!socket.writableEnded) socket.end(); // the client's FIN: ours follows the last echo
  });
}
