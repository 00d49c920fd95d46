import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventSource } from './event-source';
import { createDeadLetterQueue } from './private/dead-letter-queue';

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
}

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
        `eventSources must list at least one source (EventSource.eventBridge(...), ...), got ${JSON.stringify(sources)}: ` +
        'a service with no source receives no commands',
      );
    }
    const dlqEnabled = props.deadLetterQueueEnabled ?? true;
    sources.forEach((source, index) => {
      if (!(source instanceof EventSource)) {
        throw new Error(`eventSources[${index}] must be made with an EventSource factory such as EventSource.eventBridge(...), got ${JSON.stringify(source)}`);
      }
      const sourceScope = new Construct(this, `Source${index}`);
      this.descriptions.push(source._bind(sourceScope, {
        handler: props.handler,
        serviceName: props.serviceName,
        index,
        createDeadLetterQueue: (queueScope, queueId) => {
          if (!dlqEnabled) return undefined;
          const queue = createDeadLetterQueue(queueScope, queueId);
          this.deadLetterQueues.push(queue);
          return queue;
        },
      }));
    });
  }
}
