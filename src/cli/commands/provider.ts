/**
 * `keyless provider register|unregister|show|list`: az's `provider` group (resource provider
 * registration). Like az, `register` prints nothing; it warns that registration is still running only
 * when the answer is not yet in the target state, and `--wait` polls until it is.
 */
import type { Command } from 'commander';
import type { ArmClient } from '../framework/arm-client.js';
import { defineCommand, defineGroup, type CommandSpec } from '../framework/command.js';
import { log } from '../framework/log.js';

interface ProviderOptions {
  namespace?: string;
  wait?: boolean;
  expand?: string;
  consentToPermissions?: boolean;
  acceptTerms?: boolean;
}

type Provider = { namespace?: string; registrationPolicy?: string; registrationState?: string };
const row = (p: unknown) => ({
  Namespace: (p as Provider).namespace,
  RegistrationPolicy: (p as Provider).registrationPolicy,
  RegistrationState: (p as Provider).registrationState,
});

const namespaceOption = { flags: '-n, --namespace <namespace>', description: "The resource namespace, aka 'provider'.", required: true };
const providerPath = (arm: ArmClient, ns: string) => `/subscriptions/${arm.subscriptionId}/providers/${encodeURIComponent(ns)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function change(registering: boolean): CommandSpec<ProviderOptions> {
  const verb = registering ? 'register' : 'unregister';
  const options = [namespaceOption, { flags: '--wait', description: 'Wait for the registration to finish.' }];
  if (registering) {
    options.push({
      flags: '--consent-to-permissions',
      description: 'A value indicating whether authorization is consented or not (accepted, no effect on Keyless).',
    });
    options.push({ flags: '--accept-terms', description: 'Accept market place terms and RP terms for RPaaS (accepted, no effect on Keyless).' });
  }
  return {
    name: verb,
    summary: registering ? 'Register a provider.' : 'Unregister a provider.',
    options,
    examples: [{ title: `${registering ? 'Register' : 'Unregister'} a provider`, command: `keyless provider ${verb} --namespace Microsoft.ContainerService` }],
    async run(ctx, o) {
      const arm = await ctx.arm();
      const target = registering ? 'Registered' : 'Unregistered';
      const body = registering && o.consentToPermissions ? { thirdPartyProviderConsent: { consentToAuthorization: true } } : undefined;
      const first = (await arm.call('POST', `${providerPath(arm, o.namespace!)}/${verb}`, { apiVersion: 'providers', body })).json as Provider;
      if (first?.registrationState === target) return undefined;
      if (!o.wait) {
        log.warn(`${registering ? 'Registering' : 'Unregistering'} is still on-going. You can monitor using 'keyless provider show -n ${o.namespace}'`);
        return undefined;
      }
      for (;;) {
        await sleep(2000);
        const now = await arm.get<Provider>(providerPath(arm, o.namespace!), { apiVersion: 'providers' });
        if (now.registrationState === target) return undefined;
      }
    },
  };
}

/** Adds `keyless provider …`. */
export function register(program: Command): void {
  const group = defineGroup(program, 'provider', 'Manage resource providers.', [
    { title: 'Register the AKS resource provider', command: 'keyless provider register --namespace Microsoft.ContainerService' },
  ]);
  defineCommand(group, change(true));
  defineCommand(group, change(false));
  defineCommand<ProviderOptions>(group, {
    name: 'show',
    summary: 'Gets the specified resource provider.',
    options: [namespaceOption, { flags: '--expand <expand>', description: 'The property to expand (accepted; Keyless always answers the full provider).' }],
    table: row,
    notFoundExitCode: 3,
    examples: [{ title: "Show a provider's registration state", command: 'keyless provider show -n Microsoft.ContainerService --query registrationState' }],
    async run(ctx, o) {
      const arm = await ctx.arm();
      return arm.get(providerPath(arm, o.namespace!), { apiVersion: 'providers', query: { $expand: o.expand } });
    },
  });
  defineCommand<ProviderOptions>(group, {
    name: 'list',
    summary: 'Gets all resource providers for a subscription.',
    options: [{ flags: '--expand <expand>', description: 'The property to expand (accepted; Keyless always answers the full provider).' }],
    table: (r) => (r as unknown[]).map(row),
    examples: [{ title: 'List the registered providers', command: 'keyless provider list --query "[?registrationState==\'Registered\'].namespace" -o tsv' }],
    async run(ctx, o) {
      const arm = await ctx.arm();
      return arm.list(`/subscriptions/${arm.subscriptionId}/providers`, { apiVersion: 'providers', query: { $expand: o.expand } });
    },
  });
}
