/**
 * `bootstrap.json`, written by `keyless serve` in its data dir (mode 0600) once it accepts requests,
 * and read by `keyless login --data-dir` and `keyless agent --data-dir`. Exactly these keys.
 */
export interface BootstrapFile {
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  armEndpoint: string;
  authorityHost: string;
  /** Absolute path of the CA certificate clients trust (NODE_EXTRA_CA_CERTS). */
  caCertFile: string;
}

/**
 * The file `keyless serve` writes beside bootstrap.json for the Azure CLI:
 * `az cloud register -n keyless --cloud-config @<data-dir>/az-cloud.json` (`keyless az-setup` prints
 * the whole set-up).
 */
export const AZ_CLOUD_FILE = 'az-cloud.json';
