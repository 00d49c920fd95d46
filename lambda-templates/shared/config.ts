/**
 * The environment the construct sets on every built-in function. Read at call time (never at
 * import), so a warm function and the tests see the current values.
 */

export interface EventStoreConfig {
  readonly serviceName: string;
  /** Events table: partition key `streamId` (S), sort key `version` (N). */
  readonly eventTable: string;
  /** Snapshot table (same keys); undefined when snapshots are off. */
  readonly snapshotTable?: string;
  /** Snapshot every this many events; 0 = off. */
  readonly snapshotFrequency: number;
  /** Idempotency log: partition key `commandId` (S). */
  readonly commandTable: string;
  /** When set, every event item gets `expiresAt` = now + this, in epoch seconds. */
  readonly eventTtlSeconds?: number;
  /** Attributes copied from an event's `data` to the item's top level, for user GSIs. */
  readonly gsiKeyAttributes: readonly string[];
}

type Env = Record<string, string | undefined>;

/** Read the configuration from the environment. Throws on a missing or malformed variable. */
export function configFromEnv(env: Env = process.env): EventStoreConfig {
  const snapshotTable = optional(env.SNAPSHOT_TABLE);
  const snapshotFrequency = integer(env, 'SNAPSHOT_FREQUENCY', 0);
  return {
    serviceName: optional(env.SERVICE_NAME) ?? optional(env.POWERTOOLS_SERVICE_NAME) ?? 'event-driven-microservice',
    eventTable: required(env, 'EVENT_STORE_TABLE'),
    snapshotTable: snapshotFrequency > 0 ? snapshotTable : undefined,
    snapshotFrequency: snapshotTable ? snapshotFrequency : 0,
    commandTable: required(env, 'COMMAND_TABLE'),
    eventTtlSeconds: integer(env, 'EVENT_TTL_SECONDS', 0) || undefined,
    gsiKeyAttributes: (env.GSI_KEY_ATTRIBUTES ?? '').split(',').map(s => s.trim()).filter(s => s !== ''),
  };
}

function optional(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function required(env: Env, name: string): string {
  const value = optional(env[name]);
  if (value === undefined) throw new Error(`environment variable ${name} is not set`);
  return value;
}

function integer(env: Env, name: string, fallback: number): number {
  const value = optional(env[name]);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`environment variable ${name} must be an integer >= 0, got ${JSON.stringify(value)}`);
  return Number(value);
}
