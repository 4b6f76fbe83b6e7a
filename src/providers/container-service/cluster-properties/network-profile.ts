/**
 * The network profile as the AKS RP completes it: kubenet by default with AKS's default address
 * ranges, the plugin checked, `dnsServiceIP` inside `serviceCidr`, and the list forms AKS echoes.
 */
import { isJsonObject, type JsonObject } from '../../../core/resources/tracked/json-paths.js';
import { invalidParameter } from './property-helpers.js';

const DEFAULT_KUBENET = {
  networkPlugin: 'kubenet',
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.0.0.0/16',
  dnsServiceIP: '10.0.0.10',
  outboundType: 'loadBalancer',
  loadBalancerSku: 'standard',
};

export function completeNetwork(sent: unknown): JsonObject {
  const n: JsonObject = isJsonObject(sent) ? { ...sent } : {};
  const plugin = (n['networkPlugin'] as string | undefined) ?? 'kubenet';
  if (!['kubenet', 'azure', 'none'].includes(plugin)) {
    throw invalidParameter(
      `The value of parameter networkProfile.networkPlugin is invalid: '${plugin}'. Allowed values: 'azure', 'kubenet', 'none'.`,
      'properties.networkProfile.networkPlugin',
    );
  }
  const base = plugin === 'kubenet' ? DEFAULT_KUBENET : { ...DEFAULT_KUBENET, podCidr: undefined };
  const result: JsonObject = { ...Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)), ...n, networkPlugin: plugin };
  if (result['serviceCidr'] && result['dnsServiceIP'] && !inCidr(String(result['dnsServiceIP']), String(result['serviceCidr']))) {
    throw invalidParameter(
      `The value of parameter networkProfile.dnsServiceIP is invalid: '${String(result['dnsServiceIP'])}' is not within the service address range '${String(result['serviceCidr'])}'.`,
      'properties.networkProfile.dnsServiceIP',
    );
  }
  result['serviceCidrs'] = [result['serviceCidr']];
  if (result['podCidr']) result['podCidrs'] = [result['podCidr']];
  result['ipFamilies'] = ['IPv4'];
  return result;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function inCidr(address: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const a = ipv4(address);
  const n = ipv4(net ?? '');
  const b = Number(bits);
  if (a === undefined || n === undefined || !Number.isInteger(b) || b < 0 || b > 32) return false;
  const size = 2 ** (32 - b);
  return Math.floor(a / size) === Math.floor(n / size);
}
