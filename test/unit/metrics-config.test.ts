/** The metrics settings: off unless a port is given, loopback unless a host is given, bad ports refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('metrics settings', () => {
  it('are off by default and bind to loopback', () => {
    const config = loadConfig({}, {});
    assert.equal(config.metricsPort, undefined);
    assert.equal(config.metricsHost, '127.0.0.1');
    assert.equal(loadConfig({}, { KEYLESS_METRICS_PORT: '' }).metricsPort, undefined);
  });
  it('take the port and host from the environment or the flags (flags win)', () => {
    assert.equal(loadConfig({}, { KEYLESS_METRICS_PORT: '9464' }).metricsPort, 9464);
    assert.equal(loadConfig({ metricsPort: '9100' }, { KEYLESS_METRICS_PORT: '9464' }).metricsPort, 9100);
    assert.equal(loadConfig({}, { KEYLESS_METRICS_HOST: '0.0.0.0' }).metricsHost, '0.0.0.0');
  });
  it('refuse a port that is not a whole number from 0 to 65535', () => {
    for (const bad of ['-1', '65536', 'abc', '94.5']) {
      assert.throws(
        () => loadConfig({}, { KEYLESS_METRICS_PORT: bad }),
        (e: Error) => e instanceof ConfigError && /metrics port must be a whole number/.test(e.message),
      );
    }
  });
});
