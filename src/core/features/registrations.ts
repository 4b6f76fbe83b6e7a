/**
 * Per-subscription registration state of preview features (Microsoft.Features) and of resource
 * providers (`POST /subscriptions/{s}/providers/{ns}/register`). Only what a subscription changed is
 * stored; everything else reads as the catalogue's default.
 */

/** Which kind of registration a record holds. */
export type RegistrationKind = 'feature' | 'provider';

/**
 * Feature states as Microsoft.Features reports them (FeatureProperties.state). Keyless moves straight
 * to `Registered` / `Unregistered`: there is no approval workflow to wait for.
 */
export type FeatureState = 'NotRegistered' | 'Registering' | 'Registered' | 'Unregistering' | 'Unregistered';

/** Provider registration states as Microsoft.Resources reports them (Provider.registrationState). */
export type ProviderState = 'NotRegistered' | 'Registering' | 'Registered' | 'Unregistering' | 'Unregistered';

/** One stored registration. */
export interface RegistrationRecord {
  subscriptionId: string;
  kind: RegistrationKind;
  /** `Namespace/FeatureName` for a feature, the namespace for a provider, in catalogue case. */
  name: string;
  state: FeatureState | ProviderState;
  updatedAt: string;
}

/** Storage of registrations; names compare case-insensitively, as ARM compares them. */
export interface RegistrationRepository {
  get(subscriptionId: string, kind: RegistrationKind, name: string): Promise<RegistrationRecord | undefined>;
  /** Every stored registration of one kind in a subscription, ordered by case-folded name. */
  list(subscriptionId: string, kind: RegistrationKind): Promise<RegistrationRecord[]>;
  /** Inserts or replaces the record with the same subscription, kind and name. */
  put(record: RegistrationRecord): Promise<void>;
}
