/**
 * TLS material for the baseline server (the Keyless server makes its own): a CA and a certificate
 * for 127.0.0.1/localhost, made with the project's certificate module, as `keyless serve` does.
 */
import { createCertificateAuthority, issueServerCertificate } from '../../src/crypto/certificates.js';

export interface BaselineTls {
  /** The CA clients pass as `ca`. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

export async function createBaselineTls(commonName: string): Promise<BaselineTls> {
  const ca = await createCertificateAuthority(`${commonName} CA`);
  const leaf = await issueServerCertificate(ca);
  return { caPem: ca.certPem, certPem: leaf.certPem, keyPem: leaf.keyPem };
}
