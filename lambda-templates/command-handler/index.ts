/**
 * The built-in command handler: takes commands from any source (API Gateway, EventBridge, SQS,
 * SNS, Kinesis, DynamoDB Streams, direct invocation) and appends their events to the event store.
 *
 * - API Gateway: 201 with `{ streamId, version, eventIds }`; 400 invalid, 409 version conflict,
 *   413 too large, 500 otherwise (never a stack trace in the body).
 * - SQS: each record on its own; failures in `batchItemFailures` (a FIFO queue stops at the
 *   first failure and reports the rest too, to keep the order).
 * - Kinesis / DynamoDB Streams: in order; the first failure is reported and nothing after it
 *   is applied, so Lambda retries from that checkpoint.
 * - EventBridge / SNS / direct: throw on failure, so Lambda's async retries and DLQ apply.
 * Malformed records are failures like any other: they reach the DLQ, never vanish.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyResult, Context, SQSBatchResponse } from 'aws-lambda';
import type { CommandEnvelope } from '../shared/envelope';
import { isCommandError } from '../shared/errors';
import type { AppendResult } from '../shared/event-items';
import { EventStoreClient } from '../shared/event-store-client';
import { createLogger, createMetrics } from '../shared/powertools';
import { recordsOf, type SourceBatch, type SourceRecord } from '../shared/sources';

type Tally = Record<'CommandsAccepted' | 'EventsAppended' | 'VersionConflicts' | 'CommandsRejected' | 'DuplicateCommands' | 'CommandsFailed', number>;

interface Runtime {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: EventStoreClient;
}

let runtime: Runtime | undefined;

/** Created on first use, so the environment is read when the function runs. */
function getRuntime(): Runtime {
  if (!runtime) {
    const logger = createLogger();
    runtime = { logger, metrics: createMetrics(), store: new EventStoreClient({ logger }) };
  }
  return runtime;
}

export async function handler(event: unknown, context?: Context): Promise<unknown> {
  const rt = getRuntime();
  if (context) rt.logger.addContext(context);
  const tally: Tally = { CommandsAccepted: 0, EventsAppended: 0, VersionConflicts: 0, CommandsRejected: 0, DuplicateCommands: 0, CommandsFailed: 0 };
  const batch = recordsOf(event);
  try {
    switch (batch.kind) {
      case 'apiGateway': return await respondToApi(rt, batch, tally, context);
      case 'sqs': return await processQueue(rt, batch, tally);
      case 'kinesis':
      case 'dynamodbStream': return await processStream(rt, batch, tally);
      default: return await processOrThrow(rt, batch, tally);
    }
  } finally {
    for (const [name, value] of Object.entries(tally)) {
      if (value > 0) rt.metrics.addMetric(name, MetricUnit.Count, value);
    }
    if (rt.metrics.hasStoredMetrics()) rt.metrics.publishStoredMetrics();
  }
}

/** Run one record's command, counting and logging the outcome. Rethrows failures. */
async function runCommand(rt: Runtime, batch: SourceBatch, record: SourceRecord, tally: Tally): Promise<AppendResult> {
  let envelope: CommandEnvelope | undefined;
  try {
    envelope = record.envelope();
    const outcome = await rt.store.execute(envelope);
    if (outcome.duplicate) {
      tally.DuplicateCommands++;
      rt.logger.info('Duplicate command: returning its first result', { commandId: envelope.commandId, streamId: envelope.streamId });
    } else {
      tally.CommandsAccepted++;
      tally.EventsAppended += outcome.events.length;
    }
    return outcome.result;
  } catch (error) {
    const where = { source: batch.kind, itemIdentifier: record.itemIdentifier, commandId: envelope?.commandId, streamId: envelope?.streamId };
    if (isCommandError(error) && error.statusCode === 409) {
      tally.VersionConflicts++;
      rt.logger.warn('Command rejected', { ...where, errorType: error.errorType, reason: error.message });
    } else if (isCommandError(error)) {
      tally.CommandsRejected++;
      rt.logger.warn('Command rejected', { ...where, errorType: error.errorType, reason: error.message });
    } else {
      tally.CommandsFailed++;
      rt.logger.error('Command failed', { ...where, errorType: (error as Error).name, reason: (error as Error).message });
    }
    throw error;
  }
}

async function respondToApi(rt: Runtime, batch: SourceBatch, tally: Tally, context?: Context): Promise<APIGatewayProxyResult> {
  const record = batch.records[0];
  try {
    const before = tally.DuplicateCommands;
    const result = await runCommand(rt, batch, record, tally);
    return json(201, result, tally.DuplicateCommands > before ? { 'Idempotent-Replayed': 'true' } : {});
  } catch (error) {
    if (isCommandError(error)) return json(error.statusCode, error.toResponseBody());
    return json(500, {
      errorType: 'InternalError',
      message: 'the command could not be processed; it is safe to retry with the same commandId',
      requestId: context?.awsRequestId ?? record.itemIdentifier,
    });
  }
}

/** SQS: every record on its own. A FIFO queue keeps order: after a failure, the rest fail too. */
async function processQueue(rt: Runtime, batch: SourceBatch, tally: Tally): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  for (const [i, record] of batch.records.entries()) {
    try {
      await runCommand(rt, batch, record, tally);
    } catch {
      if (batch.fifo) {
        failures.push(...batch.records.slice(i).map(r => ({ itemIdentifier: r.itemIdentifier })));
        break;
      }
      failures.push({ itemIdentifier: record.itemIdentifier });
    }
  }
  return { batchItemFailures: failures };
}

/** Kinesis / DynamoDB Streams: in order; report the first failure and stop there. */
async function processStream(rt: Runtime, batch: SourceBatch, tally: Tally): Promise<SQSBatchResponse> {
  for (const [index, record] of batch.records.entries()) {
    try {
      await runCommand(rt, batch, record, tally);
    } catch (error) {
      // A failure at the head of the batch is thrown: Lambda then bisects the batch, so a poison
      // record ends up alone and only it reaches the on-failure destination. Reporting it would
      // retry (and finally discard) the same batch, good records after it included.
      if (index === 0) throw error;
      return { batchItemFailures: [{ itemIdentifier: record.itemIdentifier }] };
    }
  }
  return { batchItemFailures: [] };
}

/** EventBridge, SNS, direct invocation: a failure is thrown, so Lambda retries and then the DLQ. */
async function processOrThrow(rt: Runtime, batch: SourceBatch, tally: Tally): Promise<AppendResult | AppendResult[]> {
  const results: AppendResult[] = [];
  for (const record of batch.records) {
    results.push(await runCommand(rt, batch, record, tally));
  }
  return results.length === 1 ? results[0] : results;
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
