/**
 * The long-running-operation protocol as `@azure/core-lro` follows it: a 202 with `Azure-AsyncOperation`
 * (polled for `{status}`) and `Location` (polled until it stops answering 202), plus `Retry-After`.
 * The status endpoints themselves are Microsoft.Resources routes (src/providers/resources/operation-routes.ts).
 */
import type { OperationRecord } from '../../core/model.js';
import type { ArmContext, ArmResponse } from './route.js';

/** Seconds a client should wait before polling an operation still in progress. */
export const POLL_AFTER_SECONDS = 1;

/** `Azure-AsyncOperation` URL of an operation. */
export function asyncOperationUrl(baseUrl: string, operation: OperationRecord, apiVersion: string): string {
  return `${baseUrl}/subscriptions/${operation.subscriptionId}/providers/Microsoft.Resources/operationStatuses/${operation.id}?api-version=${encodeURIComponent(apiVersion)}`;
}

/** `Location` URL of an operation (ARM's `/subscriptions/{s}/operationresults/{id}` form). */
export function operationResultUrl(baseUrl: string, operation: OperationRecord, apiVersion: string): string {
  return `${baseUrl}/subscriptions/${operation.subscriptionId}/operationresults/${operation.id}?api-version=${encodeURIComponent(apiVersion)}`;
}

/** `Retry-After`: 0 once the operation has finished (poll now), otherwise {@link POLL_AFTER_SECONDS}. */
export function retryAfter(operation: OperationRecord): string {
  return operation.status === 'InProgress' ? String(POLL_AFTER_SECONDS) : '0';
}

/** The 202 Accepted answer that starts a client's polling of `operation`. */
export function acceptedOperation(ctx: ArmContext<unknown>, operation: OperationRecord): ArmResponse {
  return {
    status: 202,
    headers: {
      'azure-asyncoperation': asyncOperationUrl(ctx.baseUrl, operation, ctx.apiVersion),
      location: operationResultUrl(ctx.baseUrl, operation, ctx.apiVersion),
      'retry-after': retryAfter(operation),
    },
  };
}
