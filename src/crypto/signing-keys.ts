/**
 * Token-signing keys as Entra publishes them: RSA-2048, each wrapped in a self-signed certificate
 * that goes into the JWKS `x5c`, with `kid` = `x5t` = base64url(SHA-1 of the certificate DER).
 * Clients that pin on `x5t` (older ADAL/Microsoft.IdentityModel code) find the same value in both.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';
import type { SigningKeyRecord } from '../core/model.js';
import { exportPkcs8Pem } from './certificates.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
const crypto = webcrypto;
/** Node's WebCrypto, typed as the provider @peculiar/x509 expects (its typings name the DOM `Crypto`). */
const provider = webcrypto as unknown as NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>;
const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

export interface SigningKeyWindow {
  /** When the key starts signing (ms since epoch). */
  activatesAt: number;
  /** When the key leaves the JWKS (ms since epoch). */
  expiresAt: number;
  /** Creation time (ms since epoch). */
  now: number;
}

/** The Entra key id of a certificate: base64url SHA-1 thumbprint of its DER. */
export function certificateThumbprint(certificateDer: Buffer): string {
  return createHash('sha1').update(certificateDer).digest('base64url');
}

/** Generates a new RSA-2048 signing key and its self-signed certificate, valid over the window. */
export async function generateSigningKey(window: SigningKeyWindow): Promise<SigningKeyRecord> {
  const keys = (await crypto.subtle.generateKey({ ...RS256, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16)))
        .toString('hex')
        .replace(/^./, '1'),
      name: [{ CN: ['Keyless token signing'] }],
      // The certificate covers the whole time the key is published, with a day of slack each side.
      notBefore: new Date(Math.min(window.now, window.activatesAt) - 86_400_000),
      notAfter: new Date(window.expiresAt + 86_400_000),
      signingAlgorithm: RS256,
      keys,
    },
    provider,
  );
  const der = Buffer.from(cert.rawData);
  return {
    kid: certificateThumbprint(der),
    privateKeyPem: await exportPkcs8Pem(keys.privateKey),
    certificateDer: der.toString('base64'),
    createdAt: new Date(window.now).toISOString(),
    activatesAt: new Date(window.activatesAt).toISOString(),
    expiresAt: new Date(window.expiresAt).toISOString(),
  };
}
