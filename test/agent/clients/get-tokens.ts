/**
 * A workload using the REAL, unmodified Azure SDKs against the agent. Run as a child process
 * (`node --import tsx test/agent/clients/get-tokens.ts '<steps JSON>'`) with the agent's variables
 * in its environment: msal-node keeps the detected identity source in a static, so each process
 * stands for one source (IMDS, App Service or Arc). Prints one JSON line: the result of each step.
 */
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { ManagedIdentityApplication } from '@azure/msal-node';

/** Which client, which identity (`system` or by id), and the scope/resource to ask for. */
export interface ClientStep {
  client: 'mic' | 'dac' | 'msal';
  kind: 'system' | 'clientId' | 'objectId' | 'resourceId';
  value?: string;
  /** An App ID URI; `/.default` is appended for @azure/identity. */
  resource: string;
}

export interface ClientResult {
  ok: boolean;
  token?: string;
  expiresOnMs?: number;
  source?: string;
  error?: string;
}

async function run(step: ClientStep): Promise<ClientResult> {
  const scope = `${step.resource}/.default`;
  if (step.client === 'msal') {
    const idParams =
      step.kind === 'system'
        ? undefined
        : step.kind === 'clientId'
          ? { userAssignedClientId: step.value! }
          : step.kind === 'objectId'
            ? { userAssignedObjectId: step.value! }
            : { userAssignedResourceId: step.value! };
    const app = new ManagedIdentityApplication(idParams ? { managedIdentityIdParams: idParams } : {});
    const result = await app.acquireToken({ resource: step.resource });
    return { ok: true, token: result.accessToken, expiresOnMs: result.expiresOn?.getTime(), source: app.getManagedIdentitySource() };
  }
  const id = step.kind === 'system' ? {} : { [step.kind]: step.value! };
  if (step.client === 'mic') {
    const credential = new ManagedIdentityCredential(id as { clientId: string });
    const token = await credential.getToken(scope);
    return { ok: true, token: token.token, expiresOnMs: token.expiresOnTimestamp };
  }
  const dacOptions =
    step.kind === 'clientId' ? { managedIdentityClientId: step.value! } : step.kind === 'resourceId' ? { managedIdentityResourceId: step.value! } : {};
  const token = await new DefaultAzureCredential(dacOptions).getToken(scope);
  return { ok: true, token: token.token, expiresOnMs: token.expiresOnTimestamp };
}

const steps = JSON.parse(process.argv[2] ?? '[]') as ClientStep[];
const results: ClientResult[] = [];
for (const step of steps) {
  try {
    results.push(await run(step));
  } catch (error) {
    results.push({ ok: false, error: (error as Error).message });
  }
}
process.stdout.write(`${JSON.stringify(results)}\n`);
