/**
 * TLS material for the listener: a local CA and server certificates it issues. Azure SDKs refuse
 * plain http for an authority host and for bearer-token calls, so the server must speak TLS with a
 * certificate Node trusts; users add the CA through `NODE_EXTRA_CA_CERTS` (see azure-wire-contracts §0.3).
 *
 * Keys are ECDSA P-256: fast to generate (tests create many) and accepted by every TLS client Node
 * ships. Built on `@peculiar/x509` over Node's WebCrypto, with no global provider mutation.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, webcrypto } from 'node:crypto';

/** A certificate and its private key, both PEM (`CERTIFICATE` and PKCS#8 `PRIVATE KEY`). */
export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

export interface ServerCertificateOptions {
  /** Extra DNS names; `localhost` is always included. */
  dnsNames?: readonly string[];
  /** Extra IP addresses; `127.0.0.1` and `::1` are always included. */
  ipAddresses?: readonly string[];
  /** Validity in days (default two years). */
  validityDays?: number;
}

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;
const crypto = webcrypto;
/** Node's WebCrypto, typed as the provider @peculiar/x509 expects (its typings name the DOM `Crypto`). */
const provider = webcrypto as unknown as NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>;
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_EC = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** Creates a self-signed CA (10 years) that can issue server certificates. */
export async function createCertificateAuthority(commonName: string): Promise<CertificateAndKey> {
  const keys = (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - DAY_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: [{ CN: [commonName] }, { O: ['Keyless'] }],
      notBefore,
      notAfter: new Date(notBefore.getTime() + 3650 * DAY_MS),
      signingAlgorithm: SIGN_EC,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, provider),
      ],
    },
    provider,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportPkcs8Pem(keys.privateKey) };
}

/**
 * Issues a server certificate from `ca`. The SAN always covers `localhost`, `127.0.0.1` and `::1`
 * (what a local listener is reached by), plus the given names; EKU serverAuth, as Node's TLS checks.
 */
export async function issueServerCertificate(ca: CertificateAndKey, options: ServerCertificateOptions = {}): Promise<CertificateAndKey> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importPrivateKey(ca.keyPem);
  const keys = (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const dnsNames = unique(['localhost', ...(options.dnsNames ?? [])]);
  const ipAddresses = unique(['127.0.0.1', '::1', ...(options.ipAddresses ?? [])]);
  const notBefore = new Date(Date.now() - DAY_MS);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: [{ CN: [dnsNames[0] ?? 'localhost'] }, { O: ['Keyless'] }],
      issuer: caCert.subjectName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + (options.validityDays ?? 730) * DAY_MS),
      signingAlgorithm: caKey.algorithm,
      publicKey: keys.publicKey,
      signingKey: caKey.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(
          [...dnsNames.map((value) => ({ type: 'dns' as const, value })), ...ipAddresses.map((value) => ({ type: 'ip' as const, value }))],
          false,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, provider),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false, provider),
      ],
    },
    provider,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportPkcs8Pem(keys.privateKey) };
}

/** Imports a PKCS#8 PEM key of a CA made here (EC) or elsewhere (RSA), with its signing algorithm. */
async function importPrivateKey(
  pem: string,
): Promise<{ key: CryptoKey; algorithm: webcrypto.AlgorithmIdentifier | webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams }> {
  const keyObject = createPrivateKey(pem);
  const der = keyObject.export({ format: 'der', type: 'pkcs8' });
  if (keyObject.asymmetricKeyType === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256';
    const key = await crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, ['sign']);
    return { key, algorithm: SIGN_EC };
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { key: await crypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']), algorithm };
  }
  throw new Error(`unsupported CA key type '${keyObject.asymmetricKeyType ?? 'unknown'}' (expected EC or RSA)`);
}

/** PKCS#8 PEM of a WebCrypto private key. */
export async function exportPkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** A positive 128-bit serial number (RFC 5280 asks for unique, positive, at most 20 octets). */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter((v) => v.length > 0))];
}
