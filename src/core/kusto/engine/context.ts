/**
 * What every part of the Kusto engine works with: its dependencies (store, clock, ids, the Blob data
 * plane client, the token service) and the request shape of the data plane.
 */
import type { Clock } from '../../clock.js';
import type { IdGenerator } from '../../ids.js';
import type { HeldIdentity } from '../../identities/stored-identity.js';
import type { ResourceRecord } from '../../model.js';
import type { Store, VerifiedCaller } from '../../ports.js';
import type { Command } from '../kql-parser.js';
import type { Table } from '../query-engine.js';

/** The Blob data plane as the flows reach it: plain HTTP with a bearer token (src/dataplanes/kusto/storage-client.ts). */
export interface StorageClient {
  get(url: string, token: string | undefined): Promise<{ status: number; body: Buffer; code?: string }>;
  put(url: string, token: string | undefined, body: Buffer, contentType: string): Promise<{ status: number; code?: string }>;
  /** Blob names below a container URL (with an optional path prefix in the URL). */
  list(containerUrl: string, token: string | undefined): Promise<{ status: number; names: string[]; code?: string }>;
}

export interface KustoServiceDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  storage: StorageClient;
  /** A token of `identity` for `resource` (Azure Storage), from the token service. */
  identityToken(identity: HeldIdentity, resource: string): Promise<string>;
  /** Largest blob a flow reads (bytes). */
  maxBlobBytes?: number;
}

export interface KustoRequest {
  cluster: ResourceRecord;
  database: string;
  csl: string;
  caller: VerifiedCaller;
}

export type KustoResult = Table;

/** The engine's dependencies with the values derived from them once. */
export interface EngineContext {
  store: Store;
  deps: KustoServiceDeps;
  /** Largest blob a flow reads (bytes). */
  maxBlob: number;
  /** The clock's time as an ISO string. */
  now(): string;
}

export function createEngineContext(deps: KustoServiceDeps): EngineContext {
  return {
    store: deps.store,
    deps,
    maxBlob: deps.maxBlobBytes ?? 256 * 1024 * 1024,
    now: () => new Date(deps.clock.now()).toISOString(),
  };
}

/** The parsed command of one kind. */
export type CommandOf<C extends Command['c']> = Extract<Command, { c: C }>;
