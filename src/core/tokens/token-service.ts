/**
 * The token authority's service: the client-credentials grant, and `issueToken`, the one place that
 * turns a principal and an audience into a signed access token (the managed-identity endpoints call
 * it too).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { ClientSecretHasher } from '../directory/secrets-port.js';
import type { ServicePrincipal } from '../model.js';
import type { Repositories, TokenSigner } from '../ports.js';
import { buildAppTokenClaims, type ClientAuthentication } from './claims.js';
import { DEFAULT_CLIENT_AUTHENTICATORS, runClientCredentials, type ClientAuthenticator, type ClientCredentialsParams } from './client-credentials.js';
import { createIssuerPolicy, type IssuerMode, type IssuerPolicy, type TokenVersion } from './issuer.js';
import { resolveSingleTenant, resolveTenant, type TenantResolution } from './tenant-resolution.js';
import { failedSignIn, signInForToken, type SignInContext, type SignInRecorder } from '../activity/sign-in-events.js';
import { isOAuthError } from './oauth-error.js';

/** The settings the token service reads; `ServerConfig` has them. */
export interface TokenSettings {
  appTokenLifetimeSeconds: number;
  issuerMode: IssuerMode;
}

export interface TokenServiceDeps {
  repos: Pick<Repositories, 'tenants' | 'principals' | 'clientSecrets'>;
  signer: TokenSigner;
  clock: Clock;
  config: TokenSettings;
  /** This server's base URL, e.g. `https://127.0.0.1:8443` (known only once it listens). */
  baseUrl: () => string;
  /** Checks presented client secrets against stored hashes (src/crypto/secrets.ts). */
  secrets: Pick<ClientSecretHasher, 'verify'>;
  /**
   * The token version a resource accepts. Entra issues v1 unless the resource app sets
   * `accessTokenAcceptedVersion: 2`, which no Azure resource does; default: always v1.
   */
  acceptedVersion?: (audience: string) => TokenVersion;
  /**
   * How clients may authenticate (the grant registry's seam): default `client_secret` only. A
   * `client_assertion` authenticator (federated credentials) is added here by the composition root.
   */
  clientAuthenticators?: readonly ClientAuthenticator[];
  /** Records a sign-in for every token issued and every refused request of a known client (docs/adr/0016-activity-log.md). */
  signIns?: SignInRecorder;
}

export interface IssueTokenInput {
  principal: Pick<ServicePrincipal, 'objectId' | 'appId' | 'tenantId'>;
  audience: string;
  version: TokenVersion;
  lifetimeSeconds: number;
  /** Default `secret`; managed identities authenticate with certificates (`appidacr` "2"). */
  clientAuthentication?: ClientAuthentication;
  extraClaims?: Record<string, unknown>;
  /** Where the request came from, for the sign-in event (client IP, the agent's host). */
  signIn?: SignInContext;
}

export interface IssuedToken {
  accessToken: string;
  version: TokenVersion;
  audience: string;
  /** Seconds since the epoch: `nbf` and `exp` of the token. */
  notBefore: number;
  expiresOn: number;
  /** Seconds from now until `exp` (what `expires_in` reports). */
  expiresIn: number;
  claims: Record<string, unknown>;
}

export interface TokenService {
  readonly issuers: IssuerPolicy;
  /** Resolves an authority's `{tenant}` segment (GUID, domain, or `common`/`organizations`/`consumers`). */
  resolveTenant(segment: string): Promise<TenantResolution>;
  /** Runs the client-credentials grant for the tenant in the URL. Throws OAuthError. */
  clientCredentials(tenant: string, params: ClientCredentialsParams, context?: SignInContext): Promise<IssuedToken>;
  /** Builds and signs an app-only access token. */
  issueToken(input: IssueTokenInput): Promise<IssuedToken>;
}

/**
 * Random opaque claim values. Every token needs 112 random bytes (`uti`, `aio`, `rh`); drawing them
 * from a pooled buffer makes one system call per ~150 tokens instead of three per token.
 */
const RANDOM_POOL_BYTES = 16 * 1024;
let pool = Buffer.alloc(0);
let poolOffset = 0;
function opaque(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(RANDOM_POOL_BYTES);
    poolOffset = 0;
  }
  const value = pool.toString('base64url', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return value;
}

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const issuers = createIssuerPolicy(deps.config.issuerMode, deps.baseUrl);
  const acceptedVersion = deps.acceptedVersion ?? (() => '1.0' as const);

  async function issueToken(input: IssueTokenInput): Promise<IssuedToken> {
    const now = Math.floor(deps.clock.now() / 1000);
    const claims = buildAppTokenClaims({
      principal: input.principal,
      audience: input.audience,
      version: input.version,
      now,
      lifetimeSeconds: input.lifetimeSeconds,
      clientAuthentication: input.clientAuthentication ?? 'secret',
      issuers,
      random: { uti: opaque(16), aio: opaque(48), rh: `0.${opaque(48)}` },
      extraClaims: input.extraClaims,
    });
    const accessToken = await deps.signer.sign(claims);
    deps.signIns?.record(
      signInForToken({
        principal: input.principal,
        audience: input.audience,
        claims,
        clientAuthentication: input.clientAuthentication ?? 'secret',
        context: input.signIn,
      }),
    );
    return {
      accessToken,
      version: input.version,
      audience: input.audience,
      claims,
      notBefore: claims.nbf as number,
      expiresOn: claims.exp as number,
      expiresIn: input.lifetimeSeconds,
    };
  }

  /**
   * A refused client-credentials request of a client the tenant knows (a wrong or expired secret, a
   * rejected assertion) is a failed sign-in, as in Entra. Requests naming no known client (or tenant)
   * are not recorded: anyone can send those, and they would only fill the log.
   */
  async function recordRefusal(tenant: string, params: ClientCredentialsParams, context: SignInContext | undefined, error: unknown): Promise<void> {
    if (!isOAuthError(error) || error.status >= 500 || !params.clientId) return;
    try {
      const tenantRecord = await resolveSingleTenant(deps.repos.tenants, tenant);
      const principal = await deps.repos.principals.getByAppId(tenantRecord.id, params.clientId);
      if (!principal) return;
      deps.signIns!.record(
        failedSignIn({
          tenantId: tenantRecord.id,
          principal,
          resource: requestedResource(params).slice(0, 300),
          clientCredentialType: params.clientAssertion ? 'federatedIdentityCredential' : 'clientSecret',
          errorCode: error.aadsts,
          failureReason: error.message,
          context,
        }),
      );
    } catch {
      // Unknown tenant or an unreachable directory: nothing to attribute the refusal to.
    }
  }

  /** The resource a refused request asked for: `resource`, or the first scope without `/.default`. */
  function requestedResource(params: ClientCredentialsParams): string {
    if (params.endpoint === 'v1') return params.resource?.trim() ?? '';
    return (params.scope?.trim().split(/\s+/)[0] ?? '').replace(/\/\.default$/i, '');
  }

  return {
    issuers,
    resolveTenant: (segment) => resolveTenant(deps.repos.tenants, segment),
    async clientCredentials(tenant, params, context) {
      const grant = await runClientCredentials(
        tenant,
        params,
        { repos: deps.repos, secrets: deps.secrets, clock: deps.clock },
        deps.clientAuthenticators ?? DEFAULT_CLIENT_AUTHENTICATORS,
      ).catch(async (error: unknown) => {
        if (deps.signIns) await recordRefusal(tenant, params, context, error);
        throw error;
      });
      return issueToken({
        principal: grant.principal,
        audience: grant.audience,
        version: acceptedVersion(grant.audience),
        lifetimeSeconds: grant.token?.lifetimeSeconds ?? deps.config.appTokenLifetimeSeconds,
        clientAuthentication: grant.clientAuthentication,
        ...(grant.token?.extraClaims ? { extraClaims: grant.token.extraClaims } : {}),
        // The sign-in names the credential the client used (a federated credential's token also carries `xms_mirid`).
        signIn: { ...context, credentialType: grant.clientAuthentication === 'secret' ? 'clientSecret' : 'federatedIdentityCredential' },
      });
    },
    issueToken,
  };
}
