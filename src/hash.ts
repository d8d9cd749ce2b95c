// The one string hash of the in-process hash tables (records/packed-map.ts, dns/answer-cache.ts):
// FNV-1a over char codes (for ASCII, the same as over the bytes: `hashBytes` gives the same value
// for a name written out), then murmur3's finaliser so that the low bits a table masks with are
// well mixed. Not for anything that leaves the process.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The hash of `s`; `seed` separates key spaces (e.g. the answer cache's qtype). */
export function hashString(s: string, seed = 0): number {
  let h = FNV_OFFSET ^ seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return mix(h);
}

/** hashString of the ASCII text in `bytes[start, end)`, read from the bytes. */
export function hashBytes(bytes: Uint8Array, start: number, end: number, seed = 0): number {
  let h = FNV_OFFSET ^ seed;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return mix(h);
}
