/**
 * Status endpoints of long-running operations, handed out in `Azure-AsyncOperation` and `Location`
 * headers (src/http/arm/long-running.ts). They accept any api-version since the server writes it into
 * the URL from the request that started the operation, whatever its provider.
 */
import { DOMAIN_ERROR_CODES, type DomainErrorCode } from '../../core/errors.js';
import type { OperationRecord } from '../../core/model.js';
import type { OperationService } from '../../core/resources/operation-service.js';
import { statusForKind } from '../../http/arm/arm-error.js';
import { operationResultUrl, retryAfter } from '../../http/arm/long-running.js';
import { defineRoute, type ArmContext, type ArmResponse, type ArmRoute } from '../../http/arm/route.js';
import { toOperationStatusWire } from './wire.js';

type OperationReader = Pick<OperationService, 'get'>;

function load(operations: OperationReader, ctx: ArmContext<unknown>): Promise<OperationRecord> {
  return operations.get(ctx.subscription!.id, ctx.params['operationId']!);
}

/** `Location` polling: 202 while running; then 200 on success or the failure's own status and error. */
function operationResult(ctx: ArmContext<unknown>, operation: OperationRecord): ArmResponse {
  if (operation.status === 'InProgress') {
    return { status: 202, headers: { location: operationResultUrl(ctx.baseUrl, operation, ctx.apiVersion), 'retry-after': retryAfter(operation) } };
  }
  if (operation.status === 'Succeeded') return { status: 200 };
  const error = operation.error ?? {
    code: operation.status === 'Canceled' ? 'OperationCanceled' : 'OperationFailed',
    message: `The operation ${operation.status.toLowerCase()}.`,
  };
  const kind = DOMAIN_ERROR_CODES[error.code as DomainErrorCode];
  return { status: kind ? statusForKind(kind) : 409, body: { error } };
}

export function operationRoutes(operations: OperationReader): ArmRoute<any>[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/subscriptions/{subscriptionId}/providers/Microsoft.Resources/operationStatuses/{operationId}',
      operationId: 'OperationStatuses_Get',
      action: 'Microsoft.Resources/subscriptions/operationresults/read',
      apiVersions: 'any',
      handler: async (ctx) => {
        const operation = await load(operations, ctx);
        const headers: Record<string, string> = operation.status === 'InProgress' ? { 'retry-after': retryAfter(operation) } : {};
        return { status: 200, body: toOperationStatusWire(operation, ctx.path), headers };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/subscriptions/{subscriptionId}/operationresults/{operationId}',
      operationId: 'OperationResults_Get',
      action: 'Microsoft.Resources/subscriptions/operationresults/read',
      apiVersions: 'any',
      handler: async (ctx) => operationResult(ctx, await load(operations, ctx)),
    }),
  ];
}
