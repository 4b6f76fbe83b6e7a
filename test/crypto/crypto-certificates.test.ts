import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createCertificateAuthority, issueServerCertificate, type CertificateAndKey } from '../../src/crypto/certificates.js';

function fetchText(url: string, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, ca ? { ca } : {}, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('TLS certificates', () => {
  let ca: CertificateAndKey;
  let server: Server;
  let port: number;
  let dir: string;

  before(async () => {
    ca = await createCertificateAuthority('Keyless Unit Test CA');
    const issued = await issueServerCertificate(ca, { dnsNames: ['keyless.example'], ipAddresses: ['10.1.2.3'] });
    server = createServer({ key: issued.keyPem, cert: issued.certPem }, (_req, res) => res.end('hello over tls'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    dir = await mkdtemp(join(tmpdir(), 'keyless-certs-'));
    await writeFile(join(dir, 'ca.pem'), ca.certPem);
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('issues a server certificate for localhost, 127.0.0.1, ::1 and the given names, for serverAuth', async () => {
    const issued = await issueServerCertificate(ca, { dnsNames: ['keyless.example'], ipAddresses: ['10.1.2.3'] });
    const cert = new X509Certificate(issued.certPem);
    for (const host of ['localhost', 'keyless.example']) assert.equal(cert.checkHost(host), host);
    for (const ip of ['127.0.0.1', '::1', '10.1.2.3']) assert.ok(cert.checkIP(ip), `SAN covers ${ip}`);
    assert.equal(cert.checkHost('other.example'), undefined);
    assert.ok(cert.checkIssued(new X509Certificate(ca.certPem)));
    assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(cert.ca, false);
    const years = (Date.parse(cert.validTo) - Date.now()) / (365 * 86400_000);
    assert.ok(years > 1.9 && years < 2.1, `valid for about two years, got ${years}`);
    assert.equal(new X509Certificate(ca.certPem).ca, true);
  });

  it('is trusted by a client given the CA, and refused without it', async () => {
    assert.equal(await fetchText(`https://127.0.0.1:${port}/`, ca.certPem), 'hello over tls');
    assert.equal(await fetchText(`https://localhost:${port}/`, ca.certPem), 'hello over tls');
    await assert.rejects(fetchText(`https://127.0.0.1:${port}/`), /self[- ]signed|unable to (get|verify)/i);
  });

  it('is trusted by a Node process through NODE_EXTRA_CA_CERTS, as users do', async () => {
    const script = `require('node:https').get('https://127.0.0.1:${port}/', (r) => { let b=''; r.on('data', (d) => b += d); r.on('end', () => console.log(b)); }).on('error', (e) => { console.error(e.code); process.exit(3); });`;
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') } });
    assert.equal(stdout.trim(), 'hello over tls');
    const other = await createCertificateAuthority('Unrelated CA');
    await writeFile(join(dir, 'other.pem'), other.certPem);
    await assert.rejects(
      run(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'other.pem') } }),
      (e: { code?: number }) => e.code === 3,
    );
  });
});
