import { Tags, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventSource } from './event-source';
import { EventStore, EventStoreProps } from './event-store';
import { HandlerProps } from './handler';
import { createDeadLetterQueue } from './private/dead-letter-queue';
import { createServiceFunction } from './private/service-function';
import { requireValue, show, validateIntegerRange } from './private/validation';
import { SourceMappers } from './source-mappers';

/** Snapshotting of aggregate state (the seed's `event_replay`). */
export interface EventReplayProps {
  /**
   * Whether the command handler writes snapshots of stream state, so loading a stream reads
   * the latest snapshot plus at most `snapshotFrequency` events instead of the whole stream.
   * @default true
   */
  readonly snapshotEnabled?: boolean;
  /**
   * Write a snapshot every this many events of a stream (1 to 10000).
   * @default 100
   */
  readonly snapshotFrequency?: number;
}

/** Props of `EventDrivenMicroservice`. */
export interface EventDrivenMicroserviceProps {
  /** Name of the service: 1-64 characters of letters, digits, '-' and '_', starting with a letter. */
  readonly serviceName: string;
  /**
   * What the service does; goes into the functions' descriptions.
   * @default - none
   */
  readonly serviceDescription?: string;
  /** Where commands come from: at least one `EventSource`. */
  readonly eventSources: EventSource[];
  /** The function that turns commands into events. */
  readonly commandHandler: HandlerProps;
  /** The event store. */
  readonly eventStore: EventStoreProps;
  /**
   * Snapshotting.
   * @default - snapshots on, every 100 events
   */
  readonly eventReplay?: EventReplayProps;
  /**
   * Whether every source and the command handler's asynchronous invocations get a dead-letter
   * queue, so no failed event is lost.
   * @default true
   */
  readonly deadLetterQueueEnabled?: boolean;
  /**
   * Receives of a message before an SQS source queue moves it to its dead-letter queue
   * (1 to 1000); applies to SQS source queues defined in the same stack.
   * @default 3
   */
  readonly deadLetterMaxReceiveCount?: number;
  /**
   * VPC for the service's functions.
   * @default - functions run outside a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for the functions.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of the functions (with `vpc`).
   * @default - one created per function
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

const SERVICE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** CloudWatch namespace of the metrics the built-in handlers emit (dimension `service`). */
export const METRICS_NAMESPACE = 'EventDrivenMicroservice';

/**
 * An event-sourced microservice: commands arrive from the configured sources, the command
 * handler appends events to the event store optimistically and idempotently, and everything
 * that fails lands in a dead-letter queue.
 */
export class EventDrivenMicroservice extends Construct {
  /** Name of the service. */
  public readonly serviceName: string;
  /** The event store. */
  public readonly eventStore: EventStore;
  /** The command handler function. */
  public readonly commandHandler: lambda.Function;
  /** The sources wired to the command handler. */
  public readonly sourceMappers: SourceMappers;
  /** ARN of the command handler. */
  public readonly commandHandlerArn: string;
  /** Name of the events table. */
  public readonly eventStoreName: string;
  /** ARN of the events table's stream, when it is on. */
  public readonly eventStoreStreamArn?: string;
  /** Each configured source in a readable form. */
  public readonly eventSources: string[];
  /** The patterns this service implements, e.g. `Event Sourcing`. */
  public readonly patternsEnabled: string[];
  /** The monitoring the service has, e.g. `X-Ray tracing`. */
  public readonly monitoringFeatures: string[];
  /** Every dead-letter queue the construct created. */
  public readonly deadLetterQueues: sqs.IQueue[];

  constructor(scope: Construct, id: string, props: EventDrivenMicroserviceProps) {
    super(scope, id);
    validateServiceProps(props);
    this.serviceName = props.serviceName;
    const replay = resolveSnapshots(props);
    const dlqEnabled = props.deadLetterQueueEnabled ?? true;

    this.eventStore = new EventStore(this, 'EventStore', { ...props.eventStore, snapshotsEnabled: replay.snapshotEnabled });
    const store = this.eventStore;

    const environment: Record<string, string> = {
      SERVICE_NAME: props.serviceName,
      EVENT_STORE_TABLE: store.tableName,
      COMMAND_TABLE: store.commandsTable.tableName,
      SNAPSHOT_FREQUENCY: String(replay.snapshotEnabled ? replay.snapshotFrequency : 0),
      POWERTOOLS_SERVICE_NAME: props.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    if (store.snapshotsTable) environment.SNAPSHOT_TABLE = store.snapshotsTable.tableName;
    if (store.ttl) environment.EVENT_TTL_SECONDS = String(store.ttl.toSeconds());
    if (store.indexedAttributes.length > 0) environment.GSI_KEY_ATTRIBUTES = store.indexedAttributes.join(',');

    const purpose = props.serviceDescription ? `Command handler (${props.serviceDescription})` : 'Command handler';
    this.commandHandler = createServiceFunction(this, 'CommandHandler', {
      prop: 'commandHandler',
      handlerProps: requireValue('commandHandler', props.commandHandler, 'HandlerProps; {} deploys the built-in command handler'),
      builtInHandler: 'command-handler',
      purpose,
      environment,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      deadLetterQueue: dlqEnabled ? createDeadLetterQueue(this, 'CommandHandlerDeadLetterQueue') : undefined,
    });
    store.grantAppend(this.commandHandler);

    this.sourceMappers = new SourceMappers(this, 'Sources', {
      handler: this.commandHandler,
      eventSources: props.eventSources,
      serviceName: props.serviceName,
      deadLetterQueueEnabled: dlqEnabled,
      deadLetterMaxReceiveCount: props.deadLetterMaxReceiveCount,
    });

    Tags.of(this).add('service', props.serviceName);

    this.commandHandlerArn = this.commandHandler.functionArn;
    this.eventStoreName = store.tableName;
    this.eventStoreStreamArn = store.tableStreamArn;
    this.eventSources = this.sourceMappers.descriptions;
    this.deadLetterQueues = [
      ...(this.commandHandler.deadLetterQueue ? [this.commandHandler.deadLetterQueue] : []),
      ...this.sourceMappers.deadLetterQueues,
    ];
    this.patternsEnabled = [
      'Event Sourcing',
      'Optimistic Concurrency',
      'Idempotent Commands',
      ...(replay.snapshotEnabled ? [`Snapshots (every ${replay.snapshotFrequency} events)`] : []),
      ...(dlqEnabled ? ['Dead Letter Queues'] : []),
    ];
    this.monitoringFeatures = ['X-Ray Tracing', 'Structured JSON Logs', `Embedded Metrics (${METRICS_NAMESPACE})`];
  }
}

function validateServiceProps(props: EventDrivenMicroserviceProps): void {
  const name = requireValue('serviceName', props.serviceName, "a name such as 'order-service'");
  if (!Token.isUnresolved(name) && (typeof name !== 'string' || !SERVICE_NAME.test(name))) {
    throw new Error(`serviceName must be 1-64 characters of letters, digits, '-' and '_', starting with a letter, got ${show(name)}`);
  }
  requireValue('eventStore', props.eventStore, 'EventStoreProps; {} gives the defaults');
  requireValue('eventSources', props.eventSources, 'at least one EventSource');
  if (props.serviceDescription !== undefined && props.serviceDescription.length > 200) {
    throw new Error(`serviceDescription must be at most 200 characters, got ${props.serviceDescription.length}`);
  }
  if (!props.vpc && (props.vpcSubnets || (props.securityGroups?.length ?? 0) > 0)) {
    throw new Error(`${props.vpcSubnets ? 'vpcSubnets' : 'securityGroups'} only applies with vpc, got no vpc`);
  }
}

function resolveSnapshots(props: EventDrivenMicroserviceProps): { snapshotEnabled: boolean; snapshotFrequency: number } {
  const replay = props.eventReplay ?? {};
  const fromStore = props.eventStore?.snapshotsEnabled;
  if (replay.snapshotEnabled !== undefined && fromStore !== undefined && replay.snapshotEnabled !== fromStore) {
    throw new Error(
      `eventReplay.snapshotEnabled (${replay.snapshotEnabled}) contradicts eventStore.snapshotsEnabled (${fromStore}): set one of them`,
    );
  }
  const snapshotEnabled = replay.snapshotEnabled ?? fromStore ?? true;
  if (!snapshotEnabled && replay.snapshotFrequency !== undefined) {
    throw new Error(`eventReplay.snapshotFrequency only applies with snapshots on, got ${replay.snapshotFrequency} with snapshotEnabled false`);
  }
  validateIntegerRange('eventReplay.snapshotFrequency', replay.snapshotFrequency, 1, 10_000, 'events');
  return { snapshotEnabled, snapshotFrequency: replay.snapshotFrequency ?? 100 };
}
