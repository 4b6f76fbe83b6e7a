/**
 * `keyless account show|list|set|get-access-token` (az account): the subscriptions of the sign-in and
 * access tokens for scripts.
 */
import type { Command } from 'commander';
import { defineCommand, defineGroup } from '../framework/command.js';
import { resolveSubscription, saveProfile } from '../framework/profile.js';
import { ARM_RESOURCE, getToken } from '../framework/tokens.js';
import { fetchSubscriptions, toAccount } from './account-shape.js';

/** az's `account list -o table` columns. */
const accountTable = (result: unknown) =>
  (result as Record<string, unknown>[]).map((a) => ({
    Name: a.name,
    CloudName: a.cloudName,
    SubscriptionId: a.id,
    TenantId: a.tenantId,
    State: a.state,
    IsDefault: a.isDefault,
  }));

/** `2024-05-01 13:45:12.000000`: az prints `expiresOn` in local time with microseconds. */
function localTimestamp(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.000000`;
}

export function register(program: Command): void {
  const group = defineGroup(program, 'account', 'Manage subscription information and access tokens.', [
    { title: 'Select the subscription later commands work in.', command: 'keyless account set --subscription <subscription-id>' },
    { title: 'Get an ARM token for curl.', command: 'curl -H "Authorization: Bearer $(keyless account get-access-token --query accessToken -o tsv)" …' },
  ]);

  defineCommand<object>(group, {
    name: 'show',
    summary: 'Get the details of a subscription (the default one, or --subscription).',
    examples: [{ title: 'Get the details of the current subscription.', command: 'keyless account show' }],
    async run(ctx) {
      const profile = await ctx.profile();
      return toAccount(profile, resolveSubscription(profile, ctx.subscriptionOption), 'environmentName');
    },
  });

  defineCommand<{ refresh?: boolean }>(group, {
    name: 'list',
    summary: 'Get a list of subscriptions for the logged in account.',
    options: [{ flags: '--refresh', description: 'Retrieve up-to-date subscriptions from the server.' }],
    table: accountTable,
    examples: [{ title: 'List the subscriptions as a table.', command: 'keyless account list -o table' }],
    async run(ctx, opts) {
      const profile = await ctx.profile();
      if (opts.refresh) {
        profile.subscriptions = await fetchSubscriptions(profile, profile);
        await saveProfile(profile);
      }
      return profile.subscriptions.map((s) => toAccount(profile, s, 'cloudName'));
    },
  });

  defineCommand<{ subscription?: string }>(group, {
    name: 'set',
    summary: 'Set a subscription to be the current active subscription.',
    options: [{ flags: '-s, --subscription <subscription>', description: 'Name or ID of subscription.', required: true }],
    examples: [{ title: 'Set the default subscription.', command: 'keyless account set --subscription <subscription-id>' }],
    async run(ctx, opts) {
      const profile = await ctx.profile();
      const chosen = resolveSubscription(profile, opts.subscription);
      for (const s of profile.subscriptions) s.isDefault = s.id === chosen.id;
      await saveProfile(profile);
      return undefined;
    },
  });

  defineCommand<{ resource?: string; resourceType?: string; tenant?: string }>(group, {
    name: 'get-access-token',
    summary: 'Get a token for utilities to access the Keyless server (ARM by default).',
    options: [
      { flags: '--resource <resource>', description: 'Resource (audience) the token is for, e.g. https://vault.azure.net. Default: ARM.' },
      {
        flags: '--resource-type <type>',
        description: 'Type of well-known resource.',
        choices: ['arm', 'ms-graph', 'batch', 'data-lake', 'media', 'oss-rdbms'],
      },
      { flags: '-t, --tenant <tenant>', description: 'Tenant ID for which the token is acquired (must be the sign-in tenant).' },
    ],
    examples: [
      { title: 'Get an access token for the current account.', command: 'keyless account get-access-token' },
      { title: 'Get only the token, for a script.', command: 'keyless account get-access-token --query accessToken -o tsv' },
    ],
    async run(ctx, opts) {
      const profile = await ctx.profile();
      const subscription = resolveSubscription(profile, ctx.subscriptionOption);
      const { useCa } = await import('../framework/transport.js');
      useCa(profile.server.caFile);
      const wellKnown: Record<string, string> = { arm: ARM_RESOURCE, 'ms-graph': 'https://graph.microsoft.com/' };
      const resource = opts.resource ?? (opts.resourceType ? (wellKnown[opts.resourceType] ?? ARM_RESOURCE) : ARM_RESOURCE);
      const token = await getToken(profile, resource);
      return {
        accessToken: token.accessToken,
        expiresOn: localTimestamp(token.expiresOn),
        expires_on: token.expiresOn,
        subscription: subscription.id,
        tenant: profile.credential.tenantId,
        tokenType: token.tokenType,
      };
    },
  });
}
