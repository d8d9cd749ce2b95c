// The 5-character task-id hash in canonical names ("web-<hash>-s1.marathon.mesos."): the first
// five z-base-32 characters of SHA-1(task id), as mesos-dns's hashString.
import { hash } from 'node:crypto';

const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** z-base-32 (Zooko's human-oriented alphabet), bits taken most significant first, no padding. */
export function zbase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ZBASE32.charAt((buffer >>> bits) & 31);
    }
  }
  if (bits > 0) out += ZBASE32.charAt((buffer << (5 - bits)) & 31);
  return out;
}

/** mesos-dns's hashString: zbase32(sha1(taskId))[0:5]. */
export function taskHash(taskId: string): string {
  // One-shot hash: no Hash object per task.
  const d = hash('sha1', taskId, 'buffer');
  // 25 bits are enough for five characters: read them straight from the first four bytes.
  const word = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
  return (
    ZBASE32.charAt(word >>> 27) +
    ZBASE32.charAt((word >>> 22) & 31) +
    ZBASE32.charAt((word >>> 17) & 31) +
    ZBASE32.charAt((word >>> 12) & 31) +
    ZBASE32.charAt((word >>> 7) & 31)
  );
}
