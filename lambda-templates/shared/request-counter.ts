/**
 * Counts the DynamoDB requests a client sends (every HTTP attempt, retries included), by
 * operation. Tests and benchmarks read it to show, for example, that a rejected command made
 * no write call.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Operations that change data. */
export const WRITE_OPERATIONS: readonly string[] = [
  'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems', 'ExecuteStatement', 'ExecuteTransaction',
];

export class RequestCounter {
  private readonly counts = new Map<string, number>();

  record(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  /** Requests of one operation (e.g. `TransactWriteItems`), or of all when none is given. */
  count(operation?: string): number {
    if (operation !== undefined) return this.counts.get(operation) ?? 0;
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  /** Requests that could change data. */
  writes(): number {
    return WRITE_OPERATIONS.reduce((sum, op) => sum + this.count(op), 0);
  }

  /** A copy of the counts, by operation. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  reset(): void {
    this.counts.clear();
  }
}

const counters = new WeakMap<DynamoDBClient, RequestCounter>();

/** The counter of `client`, attached on first use (once per client). */
export function requestCounterOf(client: DynamoDBClient): RequestCounter {
  let counter = counters.get(client);
  if (!counter) {
    const created = new RequestCounter();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        created.record(String(context.commandName ?? 'Unknown').replace(/Command$/, ''));
        return next(args);
      },
      // Inside the retry middleware, so every attempt is counted.
      { step: 'finalizeRequest', priority: 'low', name: 'eventStoreRequestCounter' },
    );
    counters.set(client, created);
    counter = created;
  }
  return counter;
}
