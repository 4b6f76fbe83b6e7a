/**
 * The crypto of per-cluster OIDC issuers (src/core/workload-identity/cluster-issuers.ts): RSA 2048
 * service-account signing keys, sealed at rest with the server's key encryption key, `kid` = base64url
 * SHA-256 of the DER SubjectPublicKeyInfo (what kube-apiserver and AKS publish), RS256 signatures.
 */
import { createHash, createPrivateKey, generateKeyPair, sign } from 'node:crypto';
import { promisify } from 'node:util';
import type { IssuerKeyCrypto, PublicJwk } from '../core/workload-identity/cluster-issuers.js';
import type { KeySealing } from './key-sealing.js';

const generate = promisify(generateKeyPair);

export function createIssuerKeyCrypto(sealing: Pick<KeySealing, 'seal' | 'open'>): IssuerKeyCrypto {
  return {
    async generate() {
      const { publicKey, privateKey } = await generate('rsa', { modulusLength: 2048 });
      const kid = createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('base64url');
      const publicJwk: PublicJwk = {
        use: 'sig',
        kty: 'RSA',
        kid,
        alg: 'RS256',
        n: publicKey.export({ format: 'jwk' }).n,
        e: publicKey.export({ format: 'jwk' }).e,
      };
      return { kid, publicJwk, sealed: sealing.seal(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string) };
    },
    async sign(sealed, kid, claims) {
      const key = createPrivateKey(sealing.open(sealed));
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const input = `${b64({ alg: 'RS256', kid })}.${b64(claims)}`;
      return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
    },
  };
}
