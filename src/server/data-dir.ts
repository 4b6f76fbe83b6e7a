/**
 * Files the server keeps in its data dir: the CA and the listener's certificate (clients trust the CA
 * through NODE_EXTRA_CA_CERTS), and bootstrap.json, the one place the admin's client secret is
 * written in clear (mode 0600). Everything else lives in the database.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { AZ_CLOUD_FILE, type BootstrapFile } from '../contract/bootstrap.js';
import { createCertificateAuthority, issueServerCertificate } from '../crypto/certificates.js';

export type { BootstrapFile };

export interface TlsMaterial {
  caCertFile: string;
  key: string;
  cert: string;
}

export function sqliteFile(dataDir: string): string {
  return join(dataDir, 'keyless.db');
}

export function bootstrapFile(dataDir: string): string {
  return join(dataDir, 'bootstrap.json');
}

/** `az cloud register -n keyless --cloud-config @<data-dir>/az-cloud.json` (src/core/cloud/cloud-metadata.ts). */
export function azCloudFile(dataDir: string): string {
  return join(dataDir, AZ_CLOUD_FILE);
}

/** Writes az's cloud config beside bootstrap.json (no secret in it: mode 0644). */
export async function writeAzCloudFile(dataDir: string, content: unknown): Promise<void> {
  await writeFileAtomic(azCloudFile(dataDir), JSON.stringify(content, null, 2) + '\n', 0o644);
}

export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes a file so that readers see the old or the new content, never a part. */
async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/**
 * Loads the CA and server certificate, creating them on first start. The server certificate is
 * issued again when it does not cover `host` or is near its end.
 */
export async function ensureTls(dataDir: string, host: string, extraDnsNames: readonly string[] = []): Promise<TlsMaterial> {
  const caCertFile = join(dataDir, 'ca.pem');
  const caKeyFile = join(dataDir, 'ca-key.pem');
  const certFile = join(dataDir, 'server.pem');
  const keyFile = join(dataDir, 'server-key.pem');
  let caCert = await readIfExists(caCertFile);
  let caKey = await readIfExists(caKeyFile);
  if (!caCert || !caKey) {
    const ca = await createCertificateAuthority('Keyless Local CA');
    await writeFileAtomic(caKeyFile, ca.keyPem, 0o600);
    await writeFileAtomic(caCertFile, ca.certPem, 0o644);
    caCert = ca.certPem;
    caKey = ca.keyPem;
  }
  let cert = await readIfExists(certFile);
  let key = await readIfExists(keyFile);
  if (!cert || !key || !certificateFits(cert, host, extraDnsNames)) {
    const extra = host === '0.0.0.0' || host === '::' ? [] : [host];
    const issued = await issueServerCertificate(
      { certPem: caCert, keyPem: caKey },
      { dnsNames: [...extra.filter((h) => isIP(h) === 0), ...extraDnsNames], ipAddresses: extra.filter((h) => isIP(h) !== 0) },
    );
    await writeFileAtomic(keyFile, issued.keyPem, 0o600);
    await writeFileAtomic(certFile, issued.certPem, 0o644);
    cert = issued.certPem;
    key = issued.keyPem;
  }
  return { caCertFile, key, cert };
}

/** A name a DNS SAN must cover: a wildcard `*.x` is probed with a label of its own. */
const probeName = (name: string) => name.replace(/^\*\./, 'keyless-probe.');

function certificateFits(certPem: string, host: string, extraDnsNames: readonly string[] = []): boolean {
  const cert = new X509Certificate(certPem);
  const thirtyDays = 30 * 86400_000;
  if (Date.parse(cert.validTo) - Date.now() < thirtyDays) return false;
  // The data planes' wildcard names (docs/adr/0011-data-planes.md): a new suffix issues a new certificate.
  if (!extraDnsNames.every((name) => cert.checkHost(probeName(name), { wildcards: true }) !== undefined)) return false;
  if (host === '0.0.0.0' || host === '::') return true;
  return isIP(host) === 0 ? cert.checkHost(host) !== undefined : cert.checkIP(host) !== undefined;
}

export async function readBootstrapFile(dataDir: string): Promise<BootstrapFile | undefined> {
  const text = await readIfExists(bootstrapFile(dataDir));
  if (!text) return undefined;
  try {
    return JSON.parse(text) as BootstrapFile;
  } catch {
    return undefined;
  }
}

export async function writeBootstrapFile(dataDir: string, content: BootstrapFile): Promise<void> {
  const ordered: BootstrapFile = {
    tenantId: content.tenantId,
    subscriptionId: content.subscriptionId,
    clientId: content.clientId,
    clientSecret: content.clientSecret,
    armEndpoint: content.armEndpoint,
    authorityHost: content.authorityHost,
    caCertFile: content.caCertFile,
  };
  await writeFileAtomic(bootstrapFile(dataDir), JSON.stringify(ordered, null, 2) + '\n', 0o600);
}
