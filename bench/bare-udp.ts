// The ceiling for the DNS benchmark: a Node.js UDP responder with no DNS logic (read a packet,
// set the QR bit, send it back), so the table can say how close the server gets to bare dgram.
//   node bench/bare-udp.ts [--port N]   prints one JSON line {"port": N} when bound to 127.0.0.1
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`bare-udp: --port must be 0..65535, got "${values.port}"\n`);
  process.exit(2);
}

const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
socket.on('message', (msg, rinfo) => {
  // Byte 2 holds QR in its top bit; anything shorter than a header is not worth answering.
  if (msg.length < 12) return;
  msg[2] = msg[2]! | 0x80;
  socket.send(msg, rinfo.port, rinfo.address);
});
socket.on('error', (err) => {
  process.stderr.write(`bare-udp: ${err.message}\n`);
  process.exit(1);
});
socket.bind(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: socket.address().port })}\n`);
});
const stop = (): void => {
  socket.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
