// A minimal DNS client for end-to-end tests: sends raw query bytes over UDP or TCP to a
// loopback server and resolves with the raw reply, or rejects after a timeout.
import dgram from 'node:dgram';
import net from 'node:net';

export function udpExchange(
  port: number,
  query: Uint8Array,
  timeoutMs = 2000,
  host = '127.0.0.1',
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP reply from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
    socket.send(query, port, host);
  });
}

export function tcpExchange(
  port: number,
  query: Uint8Array,
  timeoutMs = 2000,
  host = '127.0.0.1',
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP reply from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => {
      const frame = Buffer.alloc(2 + query.length);
      frame.writeUInt16BE(query.length, 0);
      frame.set(query, 2);
      socket.write(frame);
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length >= 2 + len) {
          clearTimeout(timer);
          socket.destroy();
          resolve(buffered.subarray(2, 2 + len));
        }
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
