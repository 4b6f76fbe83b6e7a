/**
 * oidc-provider 9 ships no types; the baseline server only needs the constructor and `callback()`.
 * See node_modules/oidc-provider/docs/README.md.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    proxy: boolean;
  }
  export default Provider;
}
