import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** What a source needs from the service to wire itself. Not part of the public API. */
export interface EventSourceContext {
  /** The function that receives the source's events. */
  readonly handler: lambda.IFunction;
  /** The handler's timeout: an SQS queue's visibility timeout must be at least this. */
  readonly handlerTimeout: Duration;
  /** Name of the service, for descriptions. */
  readonly serviceName: string;
  /** Position in `eventSources`, for error messages (`eventSources[2].batchSize`). */
  readonly index: number;
  /** Receives of a message before the queue moves it to its dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Creates a dead-letter queue for this source, or returns undefined when DLQs are off. */
  readonly createDeadLetterQueue: (scope: Construct, id: string, options?: { fifo?: boolean }) => sqs.IQueue | undefined;
}

/** The part of an `EventSource` that knows one kind of source. */
export interface SourceBinder {
  /** Validates, creates and connects; returns a readable description (without the kind). */
  bind(scope: Construct, context: EventSourceContext): string;
}

/** `eventSources[2]`: the prefix of every message about one source. */
export function sourceProp(context: EventSourceContext): string {
  return `eventSources[${context.index}]`;
}
