/**
 * Federated identity credentials: "tokens of issuer X with subject Y and audience Z may sign in as this
 * identity". The same rules hold for a user-assigned identity's credentials
 * (`Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`, ARM) and an app
 * registration's (`applications/{id}/federatedIdentityCredentials`, Microsoft Graph); each surface
 * reports a broken rule in its own error shape through `invalid`.
 *
 * Rules (shared/reference/aks-wire.md §4.1, from the MSI REST spec and the Entra docs' limits table):
 * name `^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$`; `issuer` an https URL of at most 600 characters;
 * `subject` at most 600 characters; exactly one audience of at most 600 characters; at most 20
 * credentials per identity; issuer + subject unique per identity. Matching at sign-in is exact
 * (case and trailing slash included), so nothing here normalises a value.
 */

/** A federated credential as both surfaces store it. */
export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
  /** Graph only (`description`); undefined on ARM. */
  description?: string | null;
}

/** Entra's limit per identity or application. */
export const MAX_FEDERATED_CREDENTIALS = 20;
/** The audience Entra expects in assertions, which az sets when `--audiences` is not given. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
/** Entra's limit on issuer, subject and audience. */
export const MAX_CLAIM_LENGTH = 600;

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$/;
/** Control characters and leading/trailing whitespace never match a token's claims (Entra's note on `iss`). */
const CONTROL = /[\u0000-\u001f\u007f]/;

export type Invalid = (message: string, target?: string) => Error;

/** Throws `invalid` unless `name` is a valid credential name. */
export function checkFederatedCredentialName(name: string, invalid: Invalid): void {
  if (!NAME.test(name)) {
    throw invalid(
      `Federated Identity Credential name '${name.slice(0, 130)}' is invalid. It must be 3 to 120 characters long, start with a letter or number, and contain only letters, numbers, hyphens and underscores.`,
      'name',
    );
  }
}

function checkText(value: unknown, field: string, invalid: Invalid): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`'${field}' must be a non-empty string.`, field);
  if (value.length > MAX_CLAIM_LENGTH) throw invalid(`'${field}' is too long: at most ${MAX_CLAIM_LENGTH} characters.`, field);
  if (CONTROL.test(value) || value.trim() !== value)
    throw invalid(`'${field}' must not contain control characters or start or end with whitespace: it is compared exactly with the token's claim.`, field);
  return value;
}

/** The issuer must be an https URL: Keyless fetches its discovery document and keys from it. */
export function checkIssuer(value: unknown, invalid: Invalid, field = 'issuer'): string {
  const issuer = checkText(value, field, invalid);
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw invalid(
      `Invalid issuer URL '${issuer.slice(0, 200)}': '${field}' must be an absolute https URL, e.g. https://token.actions.githubusercontent.com.`,
      field,
    );
  }
  if (url.protocol !== 'https:')
    throw invalid(
      `Invalid issuer URL '${issuer.slice(0, 200)}': the issuer must use https (its keys are fetched from '{issuer}/.well-known/openid-configuration').`,
      field,
    );
  if (url.username || url.password) throw invalid(`Invalid issuer URL '${issuer.slice(0, 200)}': the URL must not carry a user name or password.`, field);
  if (url.hash) throw invalid(`Invalid issuer URL '${issuer.slice(0, 200)}': the URL must not have a fragment.`, field);
  return issuer;
}

/**
 * Reads `{issuer, subject, audiences}` from a request body (ARM `properties`, a Graph object); throws
 * `invalid` with the rule that failed. `audiences` absent is refused: az sends its default itself.
 */
export function readFederatedCredential(
  body: Record<string, unknown>,
  invalid: Invalid,
  prefix = '',
): Pick<FederatedCredential, 'issuer' | 'subject' | 'audiences'> {
  const { issuer, subject, audiences } = body;
  if ((issuer === undefined || issuer === null) && (subject === undefined || subject === null) && (audiences === undefined || audiences === null)) {
    throw invalid("The request format was unexpected. Federated Identity Credential must specify 'issuer', 'subject' and 'audiences'.", `${prefix}issuer`);
  }
  if (issuer === undefined || issuer === null)
    throw invalid(`The request format was unexpected. Federated Identity Credential must specify '${prefix}issuer'.`, `${prefix}issuer`);
  if (subject === undefined || subject === null)
    throw invalid(`The request format was unexpected. Federated Identity Credential must specify '${prefix}subject'.`, `${prefix}subject`);
  if ((body as { claimsMatchingExpression?: unknown }).claimsMatchingExpression != null) {
    throw invalid(
      `'${prefix}claimsMatchingExpression' (flexible federated credentials) is not supported by Keyless: give an exact 'subject'.`,
      `${prefix}claimsMatchingExpression`,
    );
  }
  if (!Array.isArray(audiences) || audiences.length !== 1)
    throw invalid('Federated identity credentials must have exactly one audience.', `${prefix}audiences`);
  return {
    issuer: checkIssuer(issuer, invalid, `${prefix}issuer`),
    subject: checkText(subject, `${prefix}subject`, invalid),
    audiences: [checkText(audiences[0], `${prefix}audiences`, invalid)],
  };
}

/**
 * The rules across one identity's credentials: `candidate` (named `name`) joins `others` (every other
 * credential of the identity, the one being replaced excluded).
 */
export function checkAmongSiblings(
  candidate: Pick<FederatedCredential, 'name' | 'issuer' | 'subject'>,
  others: readonly Pick<FederatedCredential, 'name' | 'issuer' | 'subject'>[],
  invalid: Invalid,
  owner: 'Managed Identity' | 'application',
): void {
  if (others.length >= MAX_FEDERATED_CREDENTIALS) {
    throw invalid(
      `The ${owner} already has ${others.length} federated identity credentials, the maximum allowed (${MAX_FEDERATED_CREDENTIALS}). Delete one before adding another.`,
    );
  }
  const clash = others.find((o) => o.issuer === candidate.issuer && o.subject === candidate.subject);
  if (clash) throw invalid(`Issuer and subject combination already exists for this ${owner} (federated identity credential '${clash.name}').`);
}
