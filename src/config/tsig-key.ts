// `transferKeys` entries, "name." → "hmac-sha256:BASE64" (RFC 8945 TSIG keys), read once here for
// config validation and for the transfer service (dns/transfer/tsig.ts adds the wire forms).
import { absoluteNameKey } from '../net/dns-name.ts';

export interface TsigKeySpec {
  /** Lower-case absolute key name: "transfer.". */
  readonly name: string;
  /** Lower-case absolute algorithm name as on the wire: "hmac-sha256.". */
  readonly algorithm: string;
  /** The node:crypto digest of the HMAC: "sha256". */
  readonly digest: string;
  readonly secret: Buffer;
}

/** Algorithm names as they appear on the wire (RFC 8945 §6) → node:crypto digest. */
const ALGORITHMS: Readonly<Record<string, string>> = {
  'hmac-sha1.': 'sha1',
  'hmac-sha224.': 'sha224',
  'hmac-sha256.': 'sha256',
  'hmac-sha384.': 'sha384',
  'hmac-sha512.': 'sha512',
};

/** One entry: `name` → "algorithm:base64". Throws a message fit for a config error. */
export function parseTsigKeySpec(name: string, spec: string): TsigKeySpec {
  const colon = spec.indexOf(':');
  if (colon <= 0) {
    throw new Error(`key ${JSON.stringify(name)} must be "algorithm:base64-secret"`);
  }
  const algorithm = spec.slice(0, colon).trim().toLowerCase().replace(/\.?$/, '.');
  const digest = ALGORITHMS[algorithm];
  if (digest === undefined) {
    throw new Error(
      `key ${JSON.stringify(name)} has algorithm ${JSON.stringify(spec.slice(0, colon))}; ` +
        `use one of ${Object.keys(ALGORITHMS)
          .map((a) => a.slice(0, -1))
          .join(', ')}`,
    );
  }
  const text = spec.slice(colon + 1).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Error(`key ${JSON.stringify(name)} secret is not base64`);
  }
  const secret = Buffer.from(text, 'base64');
  if (secret.length < 16) {
    throw new Error(`key ${JSON.stringify(name)} secret is ${secret.length} bytes; use 16 or more`);
  }
  let keyName: string;
  try {
    keyName = absoluteNameKey(name);
  } catch (err) {
    throw new Error(`key name ${JSON.stringify(name)} ${(err as Error).message}`, { cause: err });
  }
  return { name: keyName, algorithm, digest, secret };
}

/** Every entry, keyed by lower-case absolute name; throws on a bad one or a name given twice. */
export function parseTsigKeySpecs(
  keys: Readonly<Record<string, string>>,
): Map<string, TsigKeySpec> {
  const out = new Map<string, TsigKeySpec>();
  for (const [name, spec] of Object.entries(keys)) {
    const key = parseTsigKeySpec(name, spec);
    if (out.has(key.name)) throw new Error(`key ${JSON.stringify(name)} is listed twice`);
    out.set(key.name, key);
  }
  return out;
}
