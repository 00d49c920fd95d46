/**
 * The built-in projector: folds the events table's stream into the query table (DESIGN §4).
 *
 * Each stream's events of a batch are applied at most once and in version order, in one
 * conditional write per stream. Failures are reported per record (ReportBatchItemFailures):
 * the first unapplied record of a stream with a gap, a failed write or a malformed record.
 * Lambda retries from the lowest reported record, so later records of other streams come back;
 * they are then skipped as duplicates, which is why the version check matters.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { projectStream, type StreamOutcome } from './project-stream';
import { ProjectionStore } from './projection-store';
import { parseBatch, type StreamWork } from './stream-records';
import { createLogger, createMetrics } from '../shared/powertools';
import { queryTableFromEnv, readModelClient } from '../shared/read-model';

/** Streams projected at once: requests overlap, one stream's writes stay sequential. */
const STREAM_CONCURRENCY = 16;

interface Runtime {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

let runtime: Runtime | undefined;

/** Created on first use, so the environment is read when the function runs. */
function getRuntime(): Runtime {
  if (!runtime) {
    runtime = { logger: createLogger(), metrics: createMetrics() };
  }
  return runtime;
}

export async function handler(event: { Records?: DynamoDBRecord[] }, context?: Context): Promise<DynamoDBBatchResponse> {
  const { logger, metrics } = getRuntime();
  if (context) logger.addContext(context);
  const records = Array.isArray(event?.Records) ? event.Records : [];
  const batch = parseBatch(records);
  const store = new ProjectionStore(readModelClient(), queryTableFromEnv());
  const now = () => new Date().toISOString();
  const outcomes = await mapWithConcurrency(batch.streams, STREAM_CONCURRENCY, (work: StreamWork) => projectStream(store, work, now));

  const failed = new Map<number, string>();
  for (const bad of batch.malformed) {
    logger.error('Malformed event record', { itemIdentifier: bad.itemIdentifier, streamId: bad.streamId, reason: bad.reason });
    failed.set(bad.index, bad.itemIdentifier);
  }
  for (const outcome of outcomes) {
    logOutcome(logger, outcome);
    if (outcome.failedIndex !== undefined) failed.set(outcome.failedIndex, records[outcome.failedIndex].dynamodb?.SequenceNumber ?? '');
  }

  metrics.addMetric('EventsProjected', MetricUnit.Count, sum(outcomes, o => o.applied));
  metrics.addMetric('DuplicateEventsSkipped', MetricUnit.Count, sum(outcomes, o => o.duplicates));
  metrics.addMetric('ProjectionGaps', MetricUnit.Count, outcomes.filter(o => o.gap).length);
  metrics.addMetric('ProjectionFailures', MetricUnit.Count, failed.size);
  metrics.publishStoredMetrics();

  // In batch order: Lambda checkpoints before the lowest sequence number reported.
  return { batchItemFailures: [...failed.entries()].sort(([a], [b]) => a - b).map(([, itemIdentifier]) => ({ itemIdentifier })) };
}

function logOutcome(logger: Logger, outcome: StreamOutcome): void {
  const { streamId, applied, duplicates, version } = outcome;
  if (outcome.error) {
    logger.error('Projection write failed; the stream will be retried', {
      streamId, version, errorType: outcome.error.name, reason: outcome.error.message,
    });
  } else if (outcome.gap) {
    logger.warn('Gap in the event stream: later events wait for the missing one', { streamId, version, ...outcome.gap });
  } else if (outcome.failedIndex !== undefined) {
    logger.warn('Events wait behind a malformed record of their stream', { streamId, version });
  } else {
    logger.debug('Projected', { streamId, applied, duplicates, version });
  }
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
