/**
 * The event store (DESIGN §4): load a stream's state (latest snapshot + later events) and
 * append a command's events atomically, exactly once per `commandId`, with optimistic
 * concurrency on the stream's version.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { writeCommandItems } from './append-transaction';
import { configFromEnv, type EventStoreConfig } from './config';
import type { CommandEnvelope } from './envelope';
import { ConcurrencyConflictError } from './errors';
import { buildCommandItems, checkEventCount, toItem, type AppendResult, type CommandItems, type StoredEvent } from './event-items';
import { foldEvents, type State } from './fold';
import { requestCounterOf, type RequestCounter } from './request-counter';

export interface LoadedStream {
  readonly streamId: string;
  readonly state: State;
  /** The stream's current version (0 = no events yet). */
  readonly version: number;
  /** Events read past the snapshot. */
  readonly eventsRead: number;
  /** Version of the snapshot the state started from (0 = none). */
  readonly snapshotVersion: number;
}

export interface AppendOutcome {
  readonly result: AppendResult;
  /** True when the `commandId` had been accepted before: nothing was appended. */
  readonly duplicate: boolean;
  /** The events this call appended (empty for a duplicate). */
  readonly events: StoredEvent[];
  /** Transactions tried (more than 1 after version conflicts without `expectedVersion`). */
  readonly attempts: number;
}

export interface WarningLogger {
  warn(message: string, extra: Record<string, unknown>): void;
}

export interface EventStoreClientOptions {
  /** Default: one client per process, configured from the environment. */
  readonly dynamodb?: DynamoDBClient;
  /** Default: read from the environment at each call. */
  readonly config?: EventStoreConfig;
  readonly logger?: WarningLogger;
  /**
   * Transactions tried for a command without `expectedVersion` before giving up. Every conflict
   * means another command was appended, so this bounds waiting, not progress: with 20 writers
   * racing on one stream the last one needed up to 8 attempts in our runs. @default 16
   */
  readonly maxAttempts?: number;
  /** Backoff before a retry is random in [0, min(cap, base * 2^retry)). @default 20 ms, 1000 ms */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
}

let processClient: DynamoDBClient | undefined;

export class EventStoreClient {
  private readonly options: EventStoreClientOptions;

  constructor(options: EventStoreClientOptions = {}) {
    this.options = options;
  }

  /** DynamoDB requests made through this client's DynamoDB client. */
  get requests(): RequestCounter {
    return requestCounterOf(this.dynamodb());
  }

  /** The stream's state: the latest snapshot, folded with every later event. */
  async load(streamId: string): Promise<LoadedStream> {
    const config = this.config();
    let state: State = {};
    let version = 0;
    let snapshotVersion = 0;
    if (config.snapshotTable) {
      const snapshot = await this.dynamodb().send(new QueryCommand({
        TableName: config.snapshotTable,
        KeyConditionExpression: 'streamId = :s',
        ExpressionAttributeValues: { ':s': { S: streamId } },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }));
      if (snapshot.Items?.length) {
        const item = unmarshall(snapshot.Items[0]);
        state = item.state ?? {};
        version = snapshotVersion = Number(item.version);
      }
    }
    let eventsRead = 0;
    for await (const event of this.readEvents(streamId, version)) {
      if (event.version !== version + 1) {
        this.options.logger?.warn('Stream has a gap', { streamId, after: version, next: event.version });
      }
      state = foldEvents(state, [event]);
      version = event.version;
      eventsRead++;
    }
    return { streamId, state, version, eventsRead, snapshotVersion };
  }

  /** The events of a stream after `afterVersion`, in order. */
  async *readEvents(streamId: string, afterVersion = 0): AsyncGenerator<StoredEvent> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamodb().send(new QueryCommand({
        TableName: this.config().eventTable,
        KeyConditionExpression: 'streamId = :s AND version > :v',
        ExpressionAttributeValues: { ':s': { S: streamId }, ':v': { N: String(afterVersion) } },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }));
      for (const item of page.Items ?? []) yield unmarshall(item) as StoredEvent;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** Append a command's events; returns `{ streamId, version, eventIds }`. */
  async append(command: CommandEnvelope): Promise<AppendResult> {
    return (await this.execute(command)).result;
  }

  /** `append`, telling also whether the command was a duplicate and how many attempts it took. */
  async execute(command: CommandEnvelope): Promise<AppendOutcome> {
    const config = this.config();
    checkEventCount(command);
    const previous = await this.findCommand(command.commandId);
    if (previous) return { result: previous, duplicate: true, events: [], attempts: 0 };

    // A conflict is retried (on the reloaded stream) only when the caller gave no expectedVersion;
    // a transient TransactionConflict (a concurrent transaction on the same items) always is.
    const conflictAttempts = command.expectedVersion === undefined ? Math.max(1, this.options.maxAttempts ?? 16) : 1;
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.load(command.streamId);
      if (command.expectedVersion !== undefined && command.expectedVersion !== loaded.version) {
        // The stream moved since the look-up above: perhaps by another delivery of this command.
        const winner = await this.findCommand(command.commandId);
        if (winner) return { result: winner, duplicate: true, events: [], attempts: attempt };
        throw new ConcurrencyConflictError(command.streamId, command.expectedVersion, loaded.version);
      }
      const items = buildCommandItems(command, loaded.version, config);
      const outcome = await writeCommandItems(this.dynamodb(), config, items);
      if (outcome === 'written') {
        await this.snapshotIfDue(config, loaded, items);
        return { result: items.result, duplicate: false, events: items.events, attempts: attempt };
      }
      if (outcome === 'duplicate') {
        const winner = await this.findCommand(command.commandId);
        if (winner) return { result: winner, duplicate: true, events: [], attempts: attempt };
      }
      // Another writer took the version; with `expectedVersion` the caller decides what to do.
      if (attempt >= (outcome === 'transient' ? Math.max(conflictAttempts, 3) : conflictAttempts)) {
        throw new ConcurrencyConflictError(command.streamId, command.expectedVersion, await this.latestVersion(command.streamId));
      }
      await sleep(this.backoff(attempt));
    }
  }

  /** The stored result of an accepted command, if any. */
  async findCommand(commandId: string): Promise<AppendResult | undefined> {
    const found = await this.dynamodb().send(new GetItemCommand({
      TableName: this.config().commandTable,
      Key: { commandId: { S: commandId } },
      ConsistentRead: true,
    }));
    return found.Item ? (unmarshall(found.Item).result as AppendResult) : undefined;
  }

  /** The version of the stream's last event (0 when it has none). */
  async latestVersion(streamId: string): Promise<number> {
    const page = await this.dynamodb().send(new QueryCommand({
      TableName: this.config().eventTable,
      KeyConditionExpression: 'streamId = :s',
      ExpressionAttributeValues: { ':s': { S: streamId } },
      ProjectionExpression: 'version',
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }));
    return page.Items?.length ? Number(page.Items[0].version.N) : 0;
  }

  /** Best effort: a failed snapshot write is logged and never fails the command. */
  private async snapshotIfDue(config: EventStoreConfig, loaded: LoadedStream, items: CommandItems): Promise<void> {
    const f = config.snapshotFrequency;
    const newVersion = items.result.version;
    if (!config.snapshotTable || f <= 0 || Math.floor(loaded.version / f) >= Math.floor(newVersion / f)) return;
    try {
      await this.dynamodb().send(new PutItemCommand({
        TableName: config.snapshotTable,
        Item: toItem({
          streamId: loaded.streamId,
          version: newVersion,
          state: foldEvents(loaded.state, items.events),
          timestamp: new Date().toISOString(),
        }),
      }));
    } catch (error) {
      this.options.logger?.warn('Snapshot write failed; the stream is unaffected', {
        streamId: loaded.streamId, version: newVersion, errorType: (error as Error).name, reason: (error as Error).message,
      });
    }
  }

  private backoff(attempt: number): number {
    const base = this.options.backoffBaseMs ?? 20;
    const cap = this.options.backoffCapMs ?? 1000;
    return Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
  }

  private config(): EventStoreConfig {
    return this.options.config ?? configFromEnv();
  }

  private dynamodb(): DynamoDBClient {
    const client = this.options.dynamodb ?? (processClient ??= new DynamoDBClient({}));
    requestCounterOf(client); // counting starts with the first request
    return client;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
