import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventStore } from '../event-store';

/** Retries of a failed projector batch before its records are described in the DLQ. */
const PROJECTOR_RETRIES = 10;

export interface EventStreamConsumerOptions {
  /** The prop that asked for the consumer, for messages (`eventProcessor`). */
  readonly prop: string;
  /** The read-lag promise: sets the batching window and the lag alarm. */
  readonly consistencyWindow: Duration;
  /** Creates the on-failure dead-letter queue, or undefined when DLQs are off. */
  readonly createDeadLetterQueue: (scope: Construct, id: string) => sqs.IQueue | undefined;
}

export interface EventStreamConsumer {
  /** Alarms when the consumer's iterator age exceeds the consistency window. */
  readonly lagAlarm: cloudwatch.Alarm;
}

/**
 * Wires a function to the event store's stream the way a projector needs: appended events
 * only (INSERT), in order per stream, partial batch responses, bisect, bounded retries and an
 * on-failure DLQ, a batching window that fits the consistency window, and a lag alarm.
 */
export function consumeEventStream(
  scope: Construct, fn: lambda.Function, store: EventStore, options: EventStreamConsumerOptions,
): EventStreamConsumer {
  if (!store.tableStreamArn) {
    throw new Error(`${options.prop} reads the event store's stream, got eventStore.streamEnabled false: turn the stream on`);
  }
  store.grantStreamRead(fn);
  const deadLetterQueue = options.createDeadLetterQueue(scope, 'DeadLetterQueue');
  const maxBatchingWindow = batchingWindowFor(options.consistencyWindow);
  fn.addEventSource(new sources.DynamoEventSource(store.eventsTable, {
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: 100,
    maxBatchingWindow,
    bisectBatchOnError: true,
    reportBatchItemFailures: true,
    retryAttempts: deadLetterQueue ? PROJECTOR_RETRIES : undefined,
    onFailure: deadLetterQueue ? new sources.SqsDlq(deadLetterQueue) : undefined,
    // Appends are INSERTs; TTL expiries (REMOVE) are not events to project.
    filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.isEqual('INSERT') })],
  }));
  const lagAlarm = new cloudwatch.Alarm(scope, 'LagAlarm', {
    alarmDescription: `${fn.node.path} is further behind the event store than the consistency window of ${options.consistencyWindow.toHumanString()}`,
    metric: fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
    threshold: options.consistencyWindow.toMilliseconds(),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { lagAlarm };
}

/**
 * Half the consistency window goes to batching, the rest to processing; under two seconds
 * there is no batching window (Lambda's windows are whole seconds), at most Lambda's 300 s.
 */
export function batchingWindowFor(consistencyWindow: Duration): Duration | undefined {
  const seconds = Math.min(Math.floor(consistencyWindow.toMilliseconds() / 2000), 300);
  return seconds >= 1 ? Duration.seconds(seconds) : undefined;
}
