import { Annotations, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SqsSourceProps } from '../../event-source';
import { EventSourceContext, SourceBinder, sourceProp } from '../event-source-context';
import { acknowledgeNag } from '../nag';
import { describeResource } from '../naming';
import { requireValue, validateDurationRange, validateIntegerRange } from '../validation';

/** SQS's default visibility timeout, used when the queue does not set one. */
const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;

/**
 * An SQS event source mapping with partial batch responses. A queue defined in the same stack
 * gets a redrive policy to a dead-letter queue after `maxReceiveCount` receives (unless it has
 * its own); an imported queue cannot be changed, which is said with a warning.
 */
export class SqsBinder implements SourceBinder {
  constructor(private readonly queue: sqs.IQueue, private readonly props: SqsSourceProps) {}

  public bind(scope: Construct, context: EventSourceContext): string {
    const prop = sourceProp(context);
    const queue = requireValue(`${prop}.queue`, this.queue, 'an sqs.IQueue');
    this.validate(prop, queue.fifo);
    const cfnQueue = ownedCfnQueue(queue, scope);
    if (cfnQueue) checkVisibilityTimeout(prop, cfnQueue, queue, context.handlerTimeout);
    const redrive = this.wireRedrive(scope, context, queue, cfnQueue);

    const batchSize = this.props.batchSize ?? 10;
    context.handler.addEventSource(new sources.SqsEventSource(queue, {
      batchSize,
      maxBatchingWindow: this.props.maxBatchingWindow,
      maxConcurrency: this.props.maxConcurrency,
      reportBatchItemFailures: this.props.reportBatchItemFailures ?? true,
    }));
    acknowledgeNag(mappingOf(context, queue), 'Serverless::Serverless-LambdaEventSourceMappingDestination',
      'SQS event source mappings have no on-failure destination in AWS; failed messages go to the queue\'s redrive policy.');
    const details = [
      `batch ${batchSize}`,
      ...(this.props.maxBatchingWindow ? [`window ${this.props.maxBatchingWindow.toHumanString()}`] : []),
      ...(queue.fifo ? ['FIFO'] : []),
      redrive,
    ];
    return `queue ${describeResource(queue, queue.queueName)} (${details.join(', ')})`;
  }

  private validate(prop: string, fifo: boolean): void {
    if (this.props.onFailure) {
      throw new Error(
        `${prop}.onFailure is not supported by AWS for SQS sources (only stream sources such as Kinesis and ` +
        'DynamoDB Streams have on-failure destinations), got an on-failure destination: failed messages go to the ' +
        "queue's own redrive policy instead; keep deadLetterQueueEnabled on (the construct adds one to a queue " +
        'defined in your stack) or give the queue a deadLetterQueue',
      );
    }
    const window = this.props.maxBatchingWindow;
    if (fifo) {
      validateIntegerRange(`${prop}.batchSize`, this.props.batchSize, 1, 10, 'for a FIFO queue');
      if (window) throw new Error(`${prop}.maxBatchingWindow is not supported for a FIFO queue, got ${window.toHumanString()}`);
    } else {
      validateIntegerRange(`${prop}.batchSize`, this.props.batchSize, 1, 10000);
      const batchSize = this.props.batchSize;
      if (batchSize !== undefined && !Token.isUnresolved(batchSize) && batchSize > 10 && !window) {
        throw new Error(`${prop}.batchSize over 10 needs a maxBatchingWindow (AWS requires one), got batchSize ${batchSize} and no window`);
      }
    }
    validateDurationRange(`${prop}.maxBatchingWindow`, window, Duration.seconds(0), Duration.seconds(300));
    validateIntegerRange(`${prop}.maxConcurrency`, this.props.maxConcurrency, 2, 1000);
  }

  private wireRedrive(scope: Construct, context: EventSourceContext, queue: sqs.IQueue, cfnQueue?: sqs.CfnQueue): string {
    const prop = sourceProp(context);
    if (cfnQueue?.redrivePolicy !== undefined) return 'its own DLQ';
    const dlq = cfnQueue ? context.createDeadLetterQueue(scope, 'DeadLetterQueue', { fifo: queue.fifo }) : undefined;
    if (cfnQueue && dlq) {
      cfnQueue.redrivePolicy = { deadLetterTargetArn: dlq.queueArn, maxReceiveCount: context.maxReceiveCount };
      return `DLQ after ${context.maxReceiveCount} receives`;
    }
    const why = cfnQueue
      ? 'deadLetterQueueEnabled is false'
      : 'the queue is imported or in another stack, so the construct cannot add a redrive policy to it';
    Annotations.of(scope).addWarningV2('cdk-event-driven-microservice:sqsWithoutRedrive',
      `${prop}: ${why}; give queue ${describeResource(queue, queue.queueName)} a redrive policy, or messages that keep ` +
      'failing are retried until its retention period ends and then lost');
    return 'no DLQ';
  }
}

/** The event source mapping `SqsEventSource` made for this queue on the handler. */
function mappingOf(context: EventSourceContext, queue: sqs.IQueue): Construct {
  const id = `SqsEventSource:${Names.nodeUniqueId(queue.node)}`;
  const mapping = context.handler.node.tryFindChild(id);
  if (!mapping) throw new Error(`internal: no event source mapping '${id}' on ${context.handler.node.path}`);
  return mapping;
}

/** The queue's CloudFormation resource when the queue is defined in the same stack. */
function ownedCfnQueue(queue: sqs.IQueue, scope: Construct): sqs.CfnQueue | undefined {
  const cfn = queue.node.defaultChild;
  return cfn instanceof sqs.CfnQueue && Stack.of(queue) === Stack.of(scope) ? cfn : undefined;
}

/** Lambda needs visibility >= function timeout; AWS recommends 6x so retries do not overlap. */
function checkVisibilityTimeout(prop: string, cfnQueue: sqs.CfnQueue, queue: sqs.IQueue, handlerTimeout: Duration): void {
  const visibility = cfnQueue.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS;
  if (Token.isUnresolved(visibility) || handlerTimeout.isUnresolved()) return;
  const timeout = handlerTimeout.toSeconds();
  if (visibility < timeout) {
    throw new Error(
      `${prop}: queue ${describeResource(queue, queue.queueName)} has a visibility timeout of ${visibility} s, ` +
      `less than the handler's timeout of ${timeout} s (AWS requires at least the timeout, and recommends ${6 * timeout} s)`,
    );
  }
  if (visibility < 6 * timeout) {
    Annotations.of(cfnQueue).addWarningV2('cdk-event-driven-microservice:sqsVisibility',
      `${prop}: queue visibility timeout ${visibility} s is under 6x the handler's timeout (${6 * timeout} s), ` +
      'as AWS recommends for Lambda event sources; a message may be received twice while a slow batch is retried');
  }
}

