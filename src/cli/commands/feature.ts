/**
 * `keyless feature register|unregister|list|show`: az's `feature` group over Microsoft.Features.
 * Arguments, warnings and table columns follow azure-cli's resource module (`--namespace`, `--name/-n`;
 * table `Name`, `RegistrationState`).
 */
import type { Command } from 'commander';
import type { ArmClient } from '../framework/arm-client.js';
import { defineCommand, defineGroup, type CommandSpec } from '../framework/command.js';
import { log } from '../framework/log.js';

interface FeatureOptions {
  namespace?: string;
  name?: string;
}

type Feature = { name?: string; properties?: { state?: string } };
const row = (f: unknown) => ({ Name: (f as Feature).name, RegistrationState: (f as Feature).properties?.state });

const namespaceOption = { flags: '--namespace <namespace>', description: "The resource namespace, aka 'provider'.", required: true };
const nameOption = { flags: '-n, --name <name>', description: 'The feature name.', required: true };

const featurePath = (arm: ArmClient, o: FeatureOptions) =>
  `/subscriptions/${arm.subscriptionId}/providers/Microsoft.Features/providers/${encodeURIComponent(o.namespace!)}/features/${encodeURIComponent(o.name!)}`;

function change(register: boolean): CommandSpec<FeatureOptions> {
  const verb = register ? 'register' : 'unregister';
  return {
    name: verb,
    summary: register ? 'Register a preview feature.' : 'Unregister a preview feature.',
    options: [namespaceOption, nameOption],
    examples: [
      {
        title: `${register ? 'Register' : 'Unregister'} the "Shared Image Gallery" feature`,
        command: `keyless feature ${verb} --namespace Microsoft.Compute --name GalleryPreview`,
      },
    ],
    async run(ctx, o) {
      const arm = await ctx.arm();
      // azure-cli warns before it calls, whatever the outcome.
      log.warn(`Once the feature '${o.name}' is ${verb}ed, invoking 'keyless provider register -n ${o.namespace}' is required to get the change propagated`);
      return (await arm.call('POST', `${featurePath(arm, o)}/${verb}`, { apiVersion: 'features' })).json;
    },
  };
}

/** Adds `keyless feature …`. */
export function register(program: Command): void {
  const group = defineGroup(program, 'feature', 'Manage resource provider features.', [
    { title: 'Register a preview feature and check its state', command: 'keyless feature register --name MSIPreview --namespace Microsoft.ContainerService' },
  ]);
  defineCommand(group, change(true));
  defineCommand(group, change(false));
  defineCommand<FeatureOptions>(group, {
    name: 'list',
    summary: 'List preview features.',
    options: [{ flags: '--namespace <namespace>', description: "The resource namespace, aka 'provider'." }],
    table: (r) => (r as unknown[]).map(row),
    examples: [
      { title: 'List preview features', command: 'keyless feature list' },
      {
        title: 'Show the state of one feature as a table',
        command: `keyless feature list -o table --query "[?contains(name, 'Microsoft.ContainerService/MSIPreview')].{Name:name,State:properties.state}"`,
      },
    ],
    async run(ctx, o) {
      const arm = await ctx.arm();
      const base = `/subscriptions/${arm.subscriptionId}/providers/Microsoft.Features`;
      return arm.list(o.namespace ? `${base}/providers/${encodeURIComponent(o.namespace)}/features` : `${base}/features`, { apiVersion: 'features' });
    },
  });
  defineCommand<FeatureOptions>(group, {
    name: 'show',
    summary: 'Get the details of a feature.',
    options: [namespaceOption, nameOption],
    table: row,
    notFoundExitCode: 3,
    examples: [{ title: 'Show the AKS MSIPreview feature', command: 'keyless feature show --namespace Microsoft.ContainerService --name MSIPreview' }],
    async run(ctx, o) {
      const arm = await ctx.arm();
      return arm.get(featurePath(arm, o), { apiVersion: 'features' });
    },
  });
}
