/**
 * The one write of an append: a TransactWriteItems of the command's event items (each only if
 * its version is free) and its idempotency record (only if the commandId is new). Either all
 * of it is written or none; the cancellation reasons tell why not.
 */
import { TransactWriteItemsCommand, type CancellationReason, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventStoreConfig } from './config';
import type { CommandItems } from './event-items';

/**
 * - `written`: the events and the command record are stored.
 * - `duplicate`: the command record exists: another delivery of the command won.
 * - `conflict`: a version is taken: another command was appended to the stream.
 * - `transient`: a concurrent transaction touched the same items (DynamoDB's TransactionConflict).
 */
export type WriteOutcome = 'written' | 'duplicate' | 'conflict' | 'transient';

export async function writeCommandItems(dynamodb: DynamoDBClient, config: EventStoreConfig, items: CommandItems): Promise<WriteOutcome> {
  try {
    await dynamodb.send(new TransactWriteItemsCommand({
      TransactItems: [
        ...items.eventItems.map(Item => ({
          Put: { TableName: config.eventTable, Item, ConditionExpression: 'attribute_not_exists(streamId)' },
        })),
        { Put: { TableName: config.commandTable, Item: items.commandItem, ConditionExpression: 'attribute_not_exists(commandId)' } },
      ],
    }));
    return 'written';
  } catch (error) {
    if ((error as Error).name !== 'TransactionCanceledException') throw error;
    // One reason per item, in order; the command record is the last item.
    const reasons: CancellationReason[] = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
    const failed = (r: CancellationReason | undefined) => r?.Code === 'ConditionalCheckFailed';
    if (failed(reasons[items.eventItems.length])) return 'duplicate';
    if (reasons.slice(0, items.eventItems.length).some(failed)) return 'conflict';
    if (reasons.some(r => r.Code === 'TransactionConflict')) return 'transient';
    throw error;
  }
}
