import { Duration, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventSource } from './event-source';
import { createDeadLetterQueue } from './private/dead-letter-queue';
import { validateIntegerRange } from './private/validation';

/** Props of `SourceMappers`. */
export interface SourceMappersProps {
  /** The function every source delivers to. */
  readonly handler: lambda.IFunction;
  /** The sources, at least one. */
  readonly eventSources: EventSource[];
  /** Name of the service, for descriptions. */
  readonly serviceName: string;
  /**
   * Whether each source gets a dead-letter queue for what it cannot deliver.
   * @default true
   */
  readonly deadLetterQueueEnabled?: boolean;
  /**
   * Receives of a message before an SQS source queue moves it to its dead-letter queue
   * (1 to 1000). Applies to SQS queues defined in the same stack, which get a redrive policy.
   * @default 3
   */
  readonly deadLetterMaxReceiveCount?: number;
}

/** Lambda's default timeout, for a handler whose timeout cannot be read. */
const LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3);

/**
 * Gets work into the service: wires every configured `EventSource` to the handler, each under
 * its own scope (`Source0`, `Source1`, ...), with its dead-letter queue.
 */
export class SourceMappers extends Construct {
  /** A readable description of each source, in order. */
  public readonly descriptions: string[] = [];
  /** The dead-letter queues created for the sources. */
  public readonly deadLetterQueues: sqs.IQueue[] = [];

  constructor(scope: Construct, id: string, props: SourceMappersProps) {
    super(scope, id);
    const sources = props.eventSources ?? [];
    if (!Array.isArray(sources) || sources.length === 0) {
      throw new Error(
        `eventSources must list at least one source (EventSource.eventBridge, sqs, sns, kinesis or dynamoDbStream), got ${JSON.stringify(sources)}: ` +
        'a service with no source receives no commands',
      );
    }
    const dlqEnabled = props.deadLetterQueueEnabled ?? true;
    validateIntegerRange('deadLetterMaxReceiveCount', props.deadLetterMaxReceiveCount, 1, 1000);
    if (!dlqEnabled && props.deadLetterMaxReceiveCount !== undefined) {
      throw new Error(`deadLetterMaxReceiveCount only applies with deadLetterQueueEnabled, got ${props.deadLetterMaxReceiveCount} with DLQs off`);
    }
    if (props.deadLetterMaxReceiveCount !== undefined && !sources.some((source) => source?.kind === 'SQS')) {
      throw new Error(`deadLetterMaxReceiveCount applies to SQS sources, got ${props.deadLetterMaxReceiveCount} and no EventSource.sqs(...) in eventSources`);
    }
    sources.forEach((source, index) => {
      if (!(source instanceof EventSource)) {
        throw new Error(`eventSources[${index}] must be made with an EventSource factory such as EventSource.eventBridge(...), got ${JSON.stringify(source)}`);
      }
      const sourceScope = new Construct(this, `Source${index}`);
      this.descriptions.push(source._bind(sourceScope, {
        handler: props.handler,
        handlerTimeout: timeoutOf(props.handler),
        serviceName: props.serviceName,
        index,
        maxReceiveCount: props.deadLetterMaxReceiveCount ?? 3,
        createDeadLetterQueue: (queueScope, queueId, options) => {
          if (!dlqEnabled) return undefined;
          const queue = createDeadLetterQueue(queueScope, queueId, options);
          this.deadLetterQueues.push(queue);
          return queue;
        },
      }));
    });
  }
}

/** The handler's timeout, read from its CloudFormation resource when it is in the app. */
function timeoutOf(handler: lambda.IFunction): Duration {
  const cfn = handler.node.defaultChild;
  const seconds = cfn instanceof lambda.CfnFunction ? cfn.timeout : undefined;
  return seconds === undefined || Token.isUnresolved(seconds) ? LAMBDA_DEFAULT_TIMEOUT : Duration.seconds(seconds);
}
