import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventStore } from './event-store';
import { createDeadLetterQueue } from './private/dead-letter-queue';

/** Props of `DomainEventPublisher`. */
export interface DomainEventPublisherProps {
  /** The event store whose appended events are published; it must have its stream on. */
  readonly eventStore: EventStore;
  /** The `source` of the published events: the service's name. */
  readonly serviceName: string;
  /**
   * The bus to publish to.
   * @default - a bus of the service's own is created
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Whether records the pipe cannot deliver go to a dead-letter queue.
   * @default true
   */
  readonly deadLetterQueueEnabled?: boolean;
}

/** Retries of a failed delivery to the bus before the record goes to the DLQ. */
const PIPE_RETRIES = 10;

/**
 * The transactional outbox without code: an EventBridge Pipe from the event store's stream to
 * an event bus. Every appended event (an INSERT) becomes one EventBridge event with `source` =
 * the service name, `detail-type` = the event's `eventType`, and the stream record as `detail`
 * (`detail.dynamodb.NewImage` holds the event item in DynamoDB JSON).
 */
export class DomainEventPublisher extends Construct {
  /** The bus the events are published to. */
  public readonly eventBus: events.IEventBus;
  /** The pipe. */
  public readonly pipe: pipes.CfnPipe;
  /** Where undeliverable records go, when DLQs are on. */
  public readonly deadLetterQueue?: sqs.IQueue;

  constructor(scope: Construct, id: string, props: DomainEventPublisherProps) {
    super(scope, id);
    const streamArn = props.eventStore.tableStreamArn;
    if (!streamArn) {
      throw new Error('domainEvents publishes from the event store\'s stream, got eventStore.streamEnabled false: turn the stream on or domainEvents off');
    }
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'Bus', { description: `Domain events of ${props.serviceName}` });
    if (props.deadLetterQueueEnabled ?? true) this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue');

    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com') });
    props.eventStore.grantStreamRead(role);
    this.eventBus.grantPutEventsTo(role);
    this.deadLetterQueue?.grantSendMessages(role);

    this.pipe = new pipes.CfnPipe(this, 'Pipe', {
      description: `Publishes the events of ${props.serviceName} to EventBridge`,
      roleArn: role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          // PutEvents takes at most 10 entries: a batch is one call.
          batchSize: 10,
          maximumRetryAttempts: this.deadLetterQueue ? PIPE_RETRIES : undefined,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: this.deadLetterQueue ? { arn: this.deadLetterQueue.queueArn } : undefined,
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      },
      target: this.eventBus.eventBusArn,
      targetParameters: {
        eventBridgeEventBusParameters: {
          source: props.serviceName,
          detailType: '$.dynamodb.NewImage.eventType.S',
        },
      },
    });
    this.pipe.node.addDependency(role);
  }
}
