/**
 * Create, on the emulator, the tables the construct creates for the event store: events
 * (`streamId` S / `version` N, stream NEW_IMAGE, TTL on `expiresAt`), snapshots (same keys) and
 * the command (idempotency) log (`commandId` S, TTL on `expiresAt`).
 *
 * Each scenario makes its own tables: moto 5.2.5's TransactWriteItems deep-copies every table
 * it touches (items and stream records) once per item of the transaction, to roll back, so its
 * cost grows with table size times transaction size (a 99-event append to a 150-item table
 * takes about a second). Small tables keep the suite fast.
 */
import {
  CreateTableCommand, DynamoDBClient, ScanCommand, UpdateTimeToLiveCommand,
  type AttributeDefinition, type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { EventStoreConfig } from '../../lambda-templates/shared/config';

export interface EventStoreTables {
  readonly events: string;
  readonly snapshots: string;
  readonly commands: string;
}

export interface TableOptions {
  /** A GSI on the events table, keyed by this attribute (S) and `version`. */
  readonly gsiPartitionKey?: string;
}

let sequence = 0;

/** A DynamoDB client for the emulator (dummy credentials). */
export function emulatorClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** Fresh tables, uniquely named (`<label>-<n>-events`, ...). */
export async function createEventStoreTables(client: DynamoDBClient, label: string, options: TableOptions = {}): Promise<EventStoreTables> {
  const prefix = `${label}-${++sequence}`;
  const tables = { events: `${prefix}-events`, snapshots: `${prefix}-snapshots`, commands: `${prefix}-commands` };
  const streamKeys: AttributeDefinition[] = [
    { AttributeName: 'streamId', AttributeType: 'S' },
    { AttributeName: 'version', AttributeType: 'N' },
  ];
  const streamKeySchema = [
    { AttributeName: 'streamId', KeyType: 'HASH' as const },
    { AttributeName: 'version', KeyType: 'RANGE' as const },
  ];
  const gsi: GlobalSecondaryIndex[] = options.gsiPartitionKey ? [{
    IndexName: `by-${options.gsiPartitionKey}`,
    KeySchema: [{ AttributeName: options.gsiPartitionKey, KeyType: 'HASH' }, { AttributeName: 'version', KeyType: 'RANGE' }],
    Projection: { ProjectionType: 'ALL' },
  }] : [];
  await client.send(new CreateTableCommand({
    TableName: tables.events,
    AttributeDefinitions: [...streamKeys, ...(options.gsiPartitionKey ? [{ AttributeName: options.gsiPartitionKey, AttributeType: 'S' as const }] : [])],
    KeySchema: streamKeySchema,
    GlobalSecondaryIndexes: gsi.length ? gsi : undefined,
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  }));
  await client.send(new CreateTableCommand({
    TableName: tables.snapshots, AttributeDefinitions: streamKeys, KeySchema: streamKeySchema, BillingMode: 'PAY_PER_REQUEST',
  }));
  await client.send(new CreateTableCommand({
    TableName: tables.commands,
    AttributeDefinitions: [{ AttributeName: 'commandId', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'commandId', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  for (const table of [tables.events, tables.commands]) {
    await client.send(new UpdateTimeToLiveCommand({
      TableName: table, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }));
  }
  return tables;
}

/** The client configuration for `tables` (what the construct puts in the environment). */
export function storeConfig(tables: EventStoreTables, overrides: Partial<EventStoreConfig> = {}): EventStoreConfig {
  return {
    serviceName: 'test-service',
    eventTable: tables.events,
    snapshotTable: undefined,
    snapshotFrequency: 0,
    commandTable: tables.commands,
    gsiKeyAttributes: [],
    ...overrides,
  };
}

/** The environment the construct sets on the command handler, for `tables`. */
export function handlerEnvironment(tables: EventStoreTables, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SERVICE_NAME: 'test-service',
    EVENT_STORE_TABLE: tables.events,
    SNAPSHOT_TABLE: tables.snapshots,
    SNAPSHOT_FREQUENCY: '0',
    COMMAND_TABLE: tables.commands,
    ...extra,
  };
}

/** Every item of a table (all pages), unmarshalled. */
export async function scanAll(client: DynamoDBClient, table: string): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let startKey: Record<string, any> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey, ConsistentRead: true }));
    items.push(...(page.Items ?? []).map(i => unmarshall(i)));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
