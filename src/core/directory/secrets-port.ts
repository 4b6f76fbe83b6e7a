/** How the directory makes and checks client secrets; implemented in src/crypto/secrets.ts. */
export interface ClientSecretHasher {
  /** A new random secret to hand to the user once. */
  generate(): string;
  /** What is stored instead of the secret. */
  hash(secret: string): string;
  /** Timing-safe comparison of a presented secret against a stored hash. */
  verify(secret: string, hash: string): boolean;
}
