import { Duration, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { DynamoDbStreamSourceProps, KinesisSourceProps, StreamSourceProps } from '../../event-source';
import { EventSourceContext, SourceBinder, sourceProp } from '../event-source-context';
import { describeResource } from '../naming';
import { requireValue, show, validateDurationRange, validateIntegerRange } from '../validation';

/** Retries of a failed batch when its records have somewhere to go afterwards. */
const DEFAULT_RETRIES_WITH_DESTINATION = 3;

/**
 * What Kinesis and DynamoDB Streams sources share: validation against the Lambda limits, and
 * failure handling (bisect, partial batch responses, bounded retries, on-failure destination).
 */
abstract class StreamBinder implements SourceBinder {
  protected abstract readonly sourceName: string;
  protected abstract readonly startingPositions: lambda.StartingPosition[];

  constructor(protected readonly props: StreamSourceProps) {}

  public abstract bind(scope: Construct, context: EventSourceContext): string;

  /** Validates the shared options and returns the event source options with our defaults. */
  protected resolveOptions(scope: Construct, context: EventSourceContext): sources.StreamEventSourceProps {
    const prop = sourceProp(context);
    this.validate(prop);
    const onFailure = this.props.onFailure ?? optionalDlq(context.createDeadLetterQueue(scope, 'DeadLetterQueue'));
    const retryAttempts = this.props.retryAttempts ?? (onFailure ? DEFAULT_RETRIES_WITH_DESTINATION : -1);
    return {
      startingPosition: this.props.startingPosition,
      batchSize: this.props.batchSize ?? 100,
      maxBatchingWindow: this.props.maxBatchingWindow,
      parallelizationFactor: this.props.parallelizationFactor,
      // -1 is Lambda's "until the record expires": leaving the property out says exactly that.
      retryAttempts: retryAttempts === -1 ? undefined : retryAttempts,
      maxRecordAge: this.props.maxRecordAge,
      bisectBatchOnError: this.props.bisectBatchOnError ?? true,
      reportBatchItemFailures: this.props.reportBatchItemFailures ?? true,
      onFailure,
    };
  }

  protected describe(name: string, options: sources.StreamEventSourceProps): string {
    const details = [
      `from ${options.startingPosition}`,
      `batch ${options.batchSize}`,
      ...(options.maxBatchingWindow ? [`window ${options.maxBatchingWindow.toHumanString()}`] : []),
      ...(options.parallelizationFactor ? [`parallelization ${options.parallelizationFactor}`] : []),
      `retries ${options.retryAttempts ?? 'until expiry'}`,
      options.onFailure ? 'on-failure destination' : 'no DLQ',
    ];
    return `${this.sourceName} ${name} (${details.join(', ')})`;
  }

  private validate(prop: string): void {
    const position = this.props.startingPosition as lambda.StartingPosition | undefined;
    if (position === undefined || position === null) {
      throw new Error(`${prop}.startingPosition is required for a ${this.sourceName} source (${this.startingPositions.join(', ')}), got ${position}`);
    }
    if (!this.startingPositions.includes(position)) {
      throw new Error(`${prop}.startingPosition must be one of ${this.startingPositions.join(', ')} for a ${this.sourceName} source, got ${show(position)}`);
    }
    validateIntegerRange(`${prop}.batchSize`, this.props.batchSize, 1, 10000);
    validateDurationRange(`${prop}.maxBatchingWindow`, this.props.maxBatchingWindow, Duration.seconds(0), Duration.seconds(300));
    validateIntegerRange(`${prop}.parallelizationFactor`, this.props.parallelizationFactor, 1, 10);
    validateIntegerRange(`${prop}.retryAttempts`, this.props.retryAttempts, -1, 10000);
    validateDurationRange(`${prop}.maxRecordAge`, this.props.maxRecordAge, Duration.seconds(60), Duration.days(7));
  }
}

function optionalDlq(queue: ReturnType<EventSourceContext['createDeadLetterQueue']>): lambda.IEventSourceDlq | undefined {
  return queue ? new sources.SqsDlq(queue) : undefined;
}

/** Records of a Kinesis data stream. */
export class KinesisBinder extends StreamBinder {
  protected readonly sourceName = 'stream';
  protected readonly startingPositions = [lambda.StartingPosition.TRIM_HORIZON, lambda.StartingPosition.LATEST, lambda.StartingPosition.AT_TIMESTAMP];

  constructor(private readonly stream: kinesis.IStream, private readonly kinesisProps: KinesisSourceProps) {
    super(kinesisProps);
  }

  public bind(scope: Construct, context: EventSourceContext): string {
    const prop = sourceProp(context);
    const stream = requireValue(`${prop}.stream`, this.stream, 'a kinesis.IStream');
    const timestamp = this.kinesisProps.startingPositionTimestamp;
    const atTimestamp = this.props.startingPosition === lambda.StartingPosition.AT_TIMESTAMP;
    if (atTimestamp && timestamp === undefined) {
      throw new Error(`${prop}.startingPositionTimestamp is required with startingPosition AT_TIMESTAMP, got none`);
    }
    if (!atTimestamp && timestamp !== undefined) {
      throw new Error(`${prop}.startingPositionTimestamp only applies with startingPosition AT_TIMESTAMP, got ${timestamp} with ${this.props.startingPosition}`);
    }
    if (timestamp !== undefined && !Token.isUnresolved(timestamp) && !(timestamp > 0)) {
      throw new Error(`${prop}.startingPositionTimestamp must be a positive epoch time in seconds, got ${timestamp}`);
    }
    const options = this.resolveOptions(scope, context);
    context.handler.addEventSource(new sources.KinesisEventSource(stream, { ...options, startingPositionTimestamp: timestamp }));
    return this.describe(describeResource(stream, stream.streamName), options);
  }
}

/** Records of another DynamoDB table's stream. */
export class DynamoDbStreamBinder extends StreamBinder {
  protected readonly sourceName = 'table';
  // DynamoDB Streams have no AT_TIMESTAMP.
  protected readonly startingPositions = [lambda.StartingPosition.TRIM_HORIZON, lambda.StartingPosition.LATEST];

  constructor(private readonly table: dynamodb.ITable, props: DynamoDbStreamSourceProps) {
    super(props);
  }

  public bind(scope: Construct, context: EventSourceContext): string {
    const prop = sourceProp(context);
    const table = requireValue(`${prop}.table`, this.table, 'a dynamodb.ITable');
    const name = describeResource(table, table.tableName);
    if (!table.tableStreamArn) {
      throw new Error(`${prop}.table ${name} has no stream: give it one (stream: NEW_IMAGE or NEW_AND_OLD_IMAGES), ` +
        'or import it with Table.fromTableAttributes({ tableStreamArn })');
    }
    const options = this.resolveOptions(scope, context);
    context.handler.addEventSource(new sources.DynamoEventSource(table, options));
    return this.describe(name, options);
  }
}
