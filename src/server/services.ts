/** What every route plugin is given: the shared services, injected once by buildServer. */
import type { SigningKeyPair } from '../crypto/index.js';
import type { ServerMetrics } from './metrics.js';
import type { ServerStorage } from './storage/index.js';

export interface ServerServices {
  readonly storage: ServerStorage;
  readonly key: SigningKeyPair;
  readonly clock: () => number;
  readonly metrics: ServerMetrics;
}

/** The options of every route plugin. */
export interface RoutePluginOptions {
  readonly services: ServerServices;
}
