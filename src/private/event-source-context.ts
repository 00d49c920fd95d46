import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** What a source needs from the service to wire itself. Not part of the public API. */
export interface EventSourceContext {
  /** The function that receives the source's events. */
  readonly handler: lambda.IFunction;
  /** Name of the service, for descriptions. */
  readonly serviceName: string;
  /** Position in `eventSources`, for error messages (`eventSources[2].batchSize`). */
  readonly index: number;
  /** Creates a dead-letter queue for this source, or returns undefined when DLQs are off. */
  readonly createDeadLetterQueue: (scope: Construct, id: string) => sqs.IQueue | undefined;
}
