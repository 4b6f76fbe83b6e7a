/**
 * Key material and the cryptographic operations of Key Vault keys, on node:crypto: RSA (2048, 3072,
 * 4096) and EC (P-256, P-384, P-521, P-256K) keys; `encrypt`/`decrypt` and `wrapKey`/`unwrapKey`
 * with RSA-OAEP and RSA-OAEP-256 (RSA1_5 encrypts, but Keyless refuses to decrypt it: PKCS#1 v1.5
 * decryption is the Bleichenbacher/Marvin oracle Node 20 disables); `sign`/`verify` of a digest with
 * RS256/384/512 and PS256/384/512. Algorithm names are Key Vault's (JsonWebKeyEncryptionAlgorithm,
 * JsonWebKeySignatureAlgorithm). The private key never leaves: only public JWK parts are returned.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { badParameter, KeyVaultError } from './errors.js';

export type KeyType = 'RSA' | 'EC';
export const CURVES: Record<string, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1', 'P-256K': 'secp256k1' };
const NODE_CURVE_TO_KV: Record<string, string> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521', secp256k1: 'P-256K' };
export const DEFAULT_KEY_OPS: Record<KeyType, string[]> = {
  RSA: ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'],
  EC: ['sign', 'verify'],
};

export interface KeyMaterial {
  privatePem: string;
  /** kty, n/e or crv/x/y, base64url as JWK. */
  publicJwk: Record<string, string>;
}

function publicJwkOf(privateKey: KeyObject, kty: KeyType): Record<string, string> {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>;
  if (kty === 'RSA') return { kty: 'RSA', n: jwk.n!, e: jwk.e! };
  return { kty: 'EC', crv: NODE_CURVE_TO_KV[jwk.crv!] ?? jwk.crv!, x: jwk.x!, y: jwk.y! };
}

/** `RSA`, `RSA-HSM` → RSA; `EC`, `EC-HSM` → EC (Keyless has no HSM: the -HSM types are software keys). */
export function keyTypeOf(kty: unknown): KeyType {
  if (kty === 'RSA' || kty === 'RSA-HSM') return 'RSA';
  if (kty === 'EC' || kty === 'EC-HSM') return 'EC';
  throw badParameter(`The key type '${String(kty).slice(0, 20)}' is not supported: use RSA, RSA-HSM, EC or EC-HSM.`);
}

export function generateKey(kty: KeyType, size: unknown, curve: unknown): KeyMaterial {
  if (kty === 'RSA') {
    const bits = size === undefined || size === null ? 2048 : Number(size);
    if (![2048, 3072, 4096].includes(bits)) throw badParameter(`The RSA key size ${String(size)} is not supported: use 2048, 3072 or 4096.`);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
    return { privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, publicJwk: publicJwkOf(privateKey, 'RSA') };
  }
  const crv = curve === undefined || curve === null ? 'P-256' : String(curve);
  const named = CURVES[crv];
  if (!named) throw badParameter(`The curve '${crv.slice(0, 20)}' is not supported: use P-256, P-384, P-521 or P-256K.`);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: named });
  return { privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, publicJwk: publicJwkOf(privateKey, 'EC') };
}

/** Imports a JWK with its private part (Key Vault's import takes the whole key). */
export function importKey(jwk: Record<string, unknown>): KeyMaterial & { kty: KeyType } {
  const kty = keyTypeOf(jwk['kty']);
  if (typeof jwk['d'] !== 'string') throw badParameter('The imported key must include its private part (d).');
  const nodeJwk: Record<string, unknown> = { ...jwk, kty };
  if (kty === 'EC') {
    const crv = String(jwk['crv'] ?? '');
    if (!CURVES[crv]) throw badParameter(`The curve '${crv.slice(0, 20)}' is not supported.`);
    nodeJwk['crv'] = crv === 'P-256K' ? 'secp256k1' : crv;
  }
  for (const k of ['key_ops', 'kid', 'key_hsm', 't']) delete nodeJwk[k];
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: nodeJwk as never, format: 'jwk' });
  } catch {
    throw badParameter('The imported key is not a valid JSON Web Key.');
  }
  if (kty === 'RSA' && (privateKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw badParameter('RSA keys must be at least 2048 bits.');
  return { kty, privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, publicJwk: publicJwkOf(privateKey, kty) };
}

const fromB64u = (value: unknown, what: string): Buffer => {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_\-+/]*=*$/.test(value)) throw badParameter(`'${what}' must be base64url.`);
  return Buffer.from(value.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
};
export const b64u = (b: Buffer) => b.toString('base64url');

function oaep(alg: string): { padding: number; oaepHash?: string } {
  if (alg === 'RSA-OAEP') return { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' };
  if (alg === 'RSA-OAEP-256') return { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
  if (alg === 'RSA1_5') return { padding: constants.RSA_PKCS1_PADDING };
  throw badParameter(`The algorithm '${alg.slice(0, 30)}' is not supported for this operation: use RSA-OAEP or RSA-OAEP-256.`);
}

function requireRsa(key: KeyObject) {
  if (key.asymmetricKeyType !== 'rsa') throw badParameter('This operation needs an RSA key.');
}

export function encrypt(privatePem: string, alg: string, value: unknown): Buffer {
  const key = createPublicKey(privatePem);
  requireRsa(key);
  const plain = fromB64u(value, 'value');
  try {
    return publicEncrypt({ key, ...oaep(alg) }, plain);
  } catch {
    throw badParameter('The value is too long for this key and algorithm.');
  }
}

export function decrypt(privatePem: string, alg: string, value: unknown): Buffer {
  const key = createPrivateKey(privatePem);
  requireRsa(key);
  if (alg === 'RSA1_5') throw badParameter('Keyless does not decrypt RSA1_5 (PKCS#1 v1.5 decryption is a padding oracle): use RSA-OAEP or RSA-OAEP-256.');
  try {
    return privateDecrypt({ key, ...oaep(alg) }, fromB64u(value, 'value'));
  } catch (e) {
    if (e instanceof KeyVaultError) throw e;
    throw badParameter('The ciphertext could not be decrypted with this key and algorithm.');
  }
}

const DIGESTS: Record<string, { hash: string; length: number; info: string }> = {
  256: { hash: 'sha256', length: 32, info: '3031300d060960864801650304020105000420' },
  384: { hash: 'sha384', length: 48, info: '3041300d060960864801650304020205000430' },
  512: { hash: 'sha512', length: 64, info: '3051300d060960864801650304020305000440' },
};

function signatureAlgorithm(alg: string) {
  const m = /^(RS|PS)(256|384|512)$/.exec(alg);
  if (!m) {
    if (/^ES(256|384|512|256K)$/.test(alg))
      throw badParameter(`Keyless does not implement ${alg} signatures over a digest yet: use an RSA key with RS256 or PS256.`);
    throw badParameter(`The signature algorithm '${alg.slice(0, 20)}' is not supported.`);
  }
  return { pss: m[1] === 'PS', digest: DIGESTS[m[2]!]! };
}

function mgf1(seed: Buffer, length: number, hash: string): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * seed.length < length + seed.length; i++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(i);
    out.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) of a digest, salt as long as the hash. */
function pssEncode(digest: Buffer, hash: string, modBits: number, salt: Buffer): Buffer {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - salt.length - h.length - 2), Buffer.from([1]), salt]);
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

function leftPad(b: Buffer, length: number): Buffer {
  return b.length >= length ? b : Buffer.concat([Buffer.alloc(length - b.length), b]);
}

export function sign(privatePem: string, alg: string, value: unknown): Buffer {
  const key = createPrivateKey(privatePem);
  const a = signatureAlgorithm(alg);
  requireRsa(key);
  const digest = fromB64u(value, 'value');
  if (digest.length !== a.digest.length) throw badParameter(`The digest for ${alg} must be ${a.digest.length} bytes, not ${digest.length}.`);
  const bits = key.asymmetricKeyDetails!.modulusLength!;
  if (!a.pss) return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([Buffer.from(a.digest.info, 'hex'), digest]));
  const em = leftPad(pssEncode(digest, a.digest.hash, bits, randomBytes(a.digest.length)), Math.ceil(bits / 8));
  return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
}

export function verify(privatePem: string, alg: string, digestValue: unknown, signatureValue: unknown): boolean {
  const key = createPublicKey(privatePem);
  const a = signatureAlgorithm(alg);
  requireRsa(key);
  const digest = fromB64u(digestValue, 'digest');
  const signature = fromB64u(signatureValue, 'value');
  const bits = key.asymmetricKeyDetails!.modulusLength!;
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key, padding: a.pss ? constants.RSA_NO_PADDING : constants.RSA_PKCS1_PADDING }, leftPad(signature, Math.ceil(bits / 8)));
  } catch {
    return false;
  }
  if (!a.pss) return recovered.equals(Buffer.concat([Buffer.from(a.digest.info, 'hex'), digest]));
  // EMSA-PSS-VERIFY: recover the salt from the encoded message, then re-encode and compare.
  const emLen = Math.ceil((bits - 1) / 8);
  const em = recovered.subarray(recovered.length - emLen);
  const hLen = a.digest.length;
  if (em[em.length - 1] !== 0xbc) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const mask = mgf1(h, db.length, a.digest.hash);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - (bits - 1));
  const salt = db.subarray(db.length - hLen);
  return pssEncode(digest, a.digest.hash, bits, salt).equals(em);
}
