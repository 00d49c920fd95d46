/**
 * The projector's access to the query table: read a projection, and replace it only if it is
 * still at the version the new state was folded from (optimistic concurrency), so concurrent or
 * repeated deliveries can never apply an event twice.
 *
 * A warm function keeps the projections it last read or wrote, so a stream's next batch needs
 * no read. The cache is only a guess: every write is still conditional on the stored version,
 * and a failed condition returns the stored item (ALL_OLD), which replaces the guess.
 */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { itemSize } from '../shared/item-size';
import { getProjection, projectionFromItem, projectionToItem, type Projection } from '../shared/read-model';

export type ReplaceOutcome =
  | { readonly written: true }
  /** The stored projection moved (undefined: there is none); nothing was written. */
  | { readonly written: false; readonly current: Projection | undefined };

/** Bound on the cached items' DynamoDB size, far below the smallest Lambda memory. */
const CACHE_BUDGET_BYTES = 32 * 1024 * 1024;

interface Cached {
  readonly projection: Projection;
  readonly bytes: number;
}

/** Least recently used first (a Map iterates in insertion order). */
const cache = new Map<string, Cached>();
let cachedBytes = 0;

/** Forget every cached projection (tests and benchmarks: a cold function). */
export function clearProjectionCache(): void {
  cache.clear();
  cachedBytes = 0;
}

export class ProjectionStore {
  constructor(private readonly client: DynamoDBClient, private readonly table: string) {}

  /** The cached projection, if this function has seen the stream; no request. */
  cached(id: string): Projection | undefined {
    const entry = cache.get(this.key(id));
    if (!entry) return undefined;
    this.remember(entry.projection, entry.bytes); // most recently used
    return entry.projection;
  }

  /** The stored projection (a consistent read), remembered. */
  async load(id: string): Promise<Projection | undefined> {
    const projection = await getProjection(this.client, this.table, id, true);
    if (projection) this.remember(projection);
    else this.forget(id);
    return projection;
  }

  /** Write `next` if the stored projection is at `expectedPrevious` (0: there is none). */
  async replace(next: Projection, expectedPrevious: number): Promise<ReplaceOutcome> {
    const item = projectionToItem(next);
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.table,
        Item: item,
        ...(expectedPrevious === 0
          ? { ConditionExpression: 'attribute_not_exists(id)' }
          : {
            ConditionExpression: '#version = :expectedPrevious',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expectedPrevious': { N: String(expectedPrevious) } },
          }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
    } catch (error) {
      this.forget(next.id);
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      const stored = (error as { Item?: Parameters<typeof projectionFromItem>[0] }).Item;
      const current = stored ? projectionFromItem(stored) : undefined;
      if (current) this.remember(current);
      return { written: false, current };
    }
    this.remember(next, itemSize(item));
    return { written: true };
  }

  private key(id: string): string {
    return `${this.table}\n${id}`;
  }

  private remember(projection: Projection, bytes = itemSize(projectionToItem(projection))): void {
    this.forget(projection.id);
    cache.set(this.key(projection.id), { projection, bytes });
    cachedBytes += bytes;
    for (const [key, entry] of cache) {
      if (cachedBytes <= CACHE_BUDGET_BYTES) break;
      cache.delete(key);
      cachedBytes -= entry.bytes;
    }
  }

  private forget(id: string): void {
    const key = this.key(id);
    const entry = cache.get(key);
    if (entry) {
      cache.delete(key);
      cachedBytes -= entry.bytes;
    }
  }
}
