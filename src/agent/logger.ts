/**
 * The logging the agent needs: a subset of pino's API, so a pino logger can be passed as is.
 * Never pass tokens, secrets or Authorization headers to it.
 */
export interface AgentLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: AgentLogger = { debug() {}, info() {}, warn() {}, error() {} };
