/**
 * The ARM resources the engine reads: clusters, their databases and principal assignments, found in
 * the store (all pages, 500 at a time).
 */
import type { Page, PageRequest, ResourceRecord } from '../../model.js';
import type { Store } from '../../ports.js';
import { KustoError } from '../errors.js';

export const KUSTO_CLUSTER_TYPE = 'Microsoft.Kusto/clusters';
export const CLUSTER_PA_TYPE = 'Microsoft.Kusto/clusters/principalAssignments';
export const DATABASE_PA_TYPE = 'Microsoft.Kusto/clusters/databases/principalAssignments';
export const DATABASE_TYPE = 'Microsoft.Kusto/clusters/databases';

/** Every item of a paged list. */
async function collectPages<T>(fetchPage: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await fetchPage({ limit: 500, ...(after ? { after } : {}) });
    out.push(...page.items);
    if (!page.next) return out;
    after = page.next;
  }
}

/** Resources of `type` in the cluster's group whose id lies below `below`. */
export async function childrenOf(store: Store, cluster: ResourceRecord, type: string, below: string): Promise<ResourceRecord[]> {
  const prefix = `${below.toLowerCase()}/`;
  const all = await collectPages((page) => store.resources.listByGroup(cluster.subscriptionId, cluster.resourceGroup, page, type));
  return all.filter((r) => r.id.toLowerCase().startsWith(prefix));
}

/** Every Kusto cluster of every subscription (few per server). */
export async function listClusters(store: Store): Promise<ResourceRecord[]> {
  const clusters: ResourceRecord[] = [];
  for (const subscription of await store.subscriptions.list()) {
    clusters.push(...(await collectPages((page) => store.resources.listBySubscription(subscription.id, page, KUSTO_CLUSTER_TYPE))));
  }
  return clusters;
}

/** The cluster of a data-plane host name (`adxmain` or `ingest-adxmain`). */
export async function findCluster(store: Store, name: string): Promise<ResourceRecord | undefined> {
  const clusterName = name.toLowerCase().startsWith('ingest-') ? name.slice('ingest-'.length) : name;
  const found = await store.resources.findByTypeAndName(KUSTO_CLUSTER_TYPE, clusterName);
  return found[0];
}

/** The database's name as created, or `database-not-found`. */
export async function requireDatabase(store: Store, cluster: ResourceRecord, database: string): Promise<string> {
  const db = await store.resources.get(`${cluster.id}/databases/${database}`);
  if (!db || db.type.toLowerCase() !== DATABASE_TYPE.toLowerCase()) {
    throw new KustoError('database-not-found', `Database '${database}' was not found in cluster '${cluster.name}'.`);
  }
  return db.name;
}
