/**
 * HDInsight's own error shape. The HDInsight resource provider answers its validation failures with a
 * FLAT body `{"code":"BadRequest","message":"…"}` (no `error` envelope), status 400; long-running
 * failures are `{"status":"Failed","error":{code,message}}` (shared/reference/hdinsight-wire.md §7.1,
 * recorded from live Azure). Errors ARM itself produces (authorization, LinkedAuthorizationFailed,
 * FailedIdentityOperation, routing, api-version, body decoding) keep ARM's envelope, as in Azure.
 * Thrown from the cluster's spec and hooks, answered by the route wrapper in index.ts.
 */
import type { ArmResponse, ArmRoute } from '../../http/arm/route.js';

export class HdInsightError extends Error {
  override name = 'HdInsightError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** `{"code":"BadRequest","message":…}`: the RP's answer to a request it cannot accept. */
export const badRequest = (message: string) => new HdInsightError('BadRequest', message);

/** The route with HDInsight's errors answered in HDInsight's flat shape; everything else is left to ARM's mapper. */
export function withHdInsightErrors<B>(route: ArmRoute<B>): ArmRoute<B> {
  return {
    ...route,
    handler: async (ctx): Promise<ArmResponse> => {
      try {
        return await route.handler(ctx);
      } catch (error) {
        if (error instanceof HdInsightError) return { status: error.status, body: { code: error.code, message: error.message } };
        throw error;
      }
    },
  };
}
