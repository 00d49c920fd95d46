import { Duration, Tags, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CqrsTables } from './cqrs-tables';
import { DomainEventPublisher } from './domain-event-publisher';
import { EventSource } from './event-source';
import { EventStore, EventStoreProps } from './event-store';
import { HandlerProps } from './handler';
import { createDeadLetterQueue } from './private/dead-letter-queue';
import { createServiceFunction, ServiceFunctionOptions } from './private/service-function';
import { consumeEventStream } from './private/stream-consumer';
import { requireValue, show, validateDurationRange, validateIntegerRange } from './private/validation';
import { ApiAuthorization, ServiceApi } from './service-api';
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

/** The read side (the seed's `cqrs`). */
export interface CqrsProps {
  /**
   * Whether the service has a read side: a query table, a projector and a query handler.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Name of the command (idempotency) table.
   * @default - `<eventStore.tableName>-commands`, or generated
   */
  readonly commandTableName?: string;
  /**
   * Name of the query (projection) table.
   * @default - generated
   */
  readonly queryTableName?: string;
  /**
   * Whether the built-in projector folds events into the query table. Off, the query table is
   * yours to fill (e.g. by your `eventProcessor`).
   * @default true
   */
  readonly projectionEnabled?: boolean;
  /**
   * The promise on read lag, 100 ms to 1 day: the projector batches for at most half of it
   * (not at all under 2 seconds), and an alarm fires when its iterator age exceeds it.
   * @default Duration.seconds(1)
   */
  readonly eventualConsistencyWindow?: Duration;
}

/** Publishing appended events to EventBridge. */
export interface DomainEventsProps {
  /**
   * Whether every appended event is published (an EventBridge Pipe from the event store's
   * stream to a bus).
   * @default - true when the event store's stream is on
   */
  readonly enabled?: boolean;
  /**
   * The bus to publish to.
   * @default - a bus of the service's own
   */
  readonly eventBus?: events.IEventBus;
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
   * Your query handler (reads the query table). Needs `cqrs`.
   * @default - the built-in query handler when `cqrs` is enabled
   */
  readonly queryHandler?: HandlerProps;
  /**
   * Your event processor, wired to the event store's stream (with or without `cqrs`). With
   * `cqrs` it replaces the built-in projector and may write the query table.
   * @default - the built-in projector when `cqrs` projections are on
   */
  readonly eventProcessor?: HandlerProps;
  /**
   * The read side.
   * @default - no read side
   */
  readonly cqrs?: CqrsProps;
  /**
   * Publishing of appended events to EventBridge.
   * @default - on when the event store's stream is on, to a bus of the service's own
   */
  readonly domainEvents?: DomainEventsProps;
  /**
   * Whether the service has a REST API: `POST /commands`, and with `cqrs` `GET /queries` and
   * `GET /queries/{id}`.
   * @default - true when `apiGateway` is given, else false
   */
  readonly apiGatewayEnabled?: boolean;
  /**
   * An existing REST API to add the routes to.
   * @default - a REST API is created when `apiGatewayEnabled`
   */
  readonly apiGateway?: apigateway.IRestApi;
  /**
   * Authorization of the API's routes.
   * @default ApiAuthorization.IAM
   */
  readonly apiAuthorization?: ApiAuthorization;
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
 * handler appends events to the event store optimistically and idempotently, the read side
 * projects them into a query table, and everything that fails lands in a dead-letter queue.
 */
export class EventDrivenMicroservice extends Construct {
  /** Name of the service. */
  public readonly serviceName: string;
  /** The event store. */
  public readonly eventStore: EventStore;
  /** The command handler function. */
  public readonly commandHandler: lambda.Function;
  /** The query handler function, with `cqrs`. */
  public readonly queryHandler?: lambda.Function;
  /** The event processor (projector) function, wired to the event store's stream. */
  public readonly eventProcessor?: lambda.Function;
  /** The read side's tables, with `cqrs`. */
  public readonly cqrsTables?: CqrsTables;
  /** The REST API, when `apiGatewayEnabled`. */
  public readonly api?: ServiceApi;
  /** The EventBridge Pipe publishing appended events, when domain events are on. */
  public readonly domainEventPublisher?: DomainEventPublisher;
  /** Alarm on the event processor's lag behind the event store (the consistency window). */
  public readonly projectionLagAlarm?: cloudwatch.Alarm;
  /** The sources wired to the command handler. */
  public readonly sourceMappers: SourceMappers;
  /** ARN of the command handler. */
  public readonly commandHandlerArn: string;
  /** ARN of the query handler, with `cqrs`. */
  public readonly queryHandlerArn?: string;
  /** ARN of the event processor, when there is one. */
  public readonly eventProcessorArn?: string;
  /** URL of the created REST API's stage. */
  public readonly apiUrl?: string;
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
  public readonly deadLetterQueues: sqs.IQueue[] = [];

  constructor(scope: Construct, id: string, props: EventDrivenMicroserviceProps) {
    super(scope, id);
    validateServiceProps(props);
    this.serviceName = props.serviceName;
    const replay = resolveSnapshots(props);
    const readSide = resolveReadSide(props);
    const dlqEnabled = props.deadLetterQueueEnabled ?? true;
    const createDlq = (dlqScope: Construct, dlqId: string): sqs.IQueue | undefined => {
      if (!dlqEnabled) return undefined;
      const queue = createDeadLetterQueue(dlqScope, dlqId);
      this.deadLetterQueues.push(queue);
      return queue;
    };

    this.eventStore = new EventStore(this, 'EventStore', {
      ...props.eventStore,
      snapshotsEnabled: replay.snapshotEnabled,
      commandTableName: props.eventStore?.commandTableName ?? readSide.commandTableName,
    });
    const store = this.eventStore;
    if (readSide.enabled) {
      this.cqrsTables = new CqrsTables(this, 'Cqrs', { eventStore: store, queryTableName: readSide.queryTableName });
    }
    const environment = this.serviceEnvironment(props, replay);
    // Every function gets a DLQ for failed asynchronous invocations (a replay or a user may invoke any of them so).
    const makeFunction = (fnId: string, options: Pick<ServiceFunctionOptions, 'prop' | 'handlerProps' | 'builtInHandler' | 'purpose'>) =>
      createServiceFunction(this, fnId, {
        ...options,
        deadLetterQueue: createDlq(this, `${fnId}DeadLetterQueue`),
        purpose: props.serviceDescription ? `${options.purpose} (${props.serviceDescription})` : options.purpose,
        environment,
        vpc: props.vpc,
        vpcSubnets: props.vpcSubnets,
        securityGroups: props.securityGroups,
      });

    // Write side.
    this.commandHandler = makeFunction('CommandHandler', {
      prop: 'commandHandler',
      handlerProps: requireValue('commandHandler', props.commandHandler, 'HandlerProps; {} deploys the built-in command handler'),
      builtInHandler: 'command-handler',
      purpose: 'Command handler',
    });
    store.grantAppend(this.commandHandler);
    this.sourceMappers = new SourceMappers(this, 'Sources', {
      handler: this.commandHandler,
      eventSources: props.eventSources,
      serviceName: props.serviceName,
      deadLetterQueueEnabled: dlqEnabled,
      deadLetterMaxReceiveCount: props.deadLetterMaxReceiveCount,
    });
    this.deadLetterQueues.push(...this.sourceMappers.deadLetterQueues);

    // Read side: the projector (or the user's event processor) and the query handler.
    if (props.eventProcessor || readSide.projectionEnabled) {
      const processor = makeFunction('EventProcessor', {
        prop: 'eventProcessor',
        handlerProps: props.eventProcessor ?? {},
        builtInHandler: 'projector',
        purpose: props.eventProcessor ? 'Event processor' : 'Projector',
      });
      const consumer = consumeEventStream(new Construct(this, 'EventProcessorStream'), processor, store, {
        prop: props.eventProcessor ? 'eventProcessor' : 'cqrs.projectionEnabled',
        consistencyWindow: readSide.consistencyWindow,
        createDeadLetterQueue: createDlq,
      });
      this.cqrsTables?.grantProject(processor);
      this.eventProcessor = processor;
      this.projectionLagAlarm = consumer.lagAlarm;
    }
    if (this.cqrsTables) {
      this.queryHandler = makeFunction('QueryHandler', {
        prop: 'queryHandler',
        handlerProps: props.queryHandler ?? {},
        builtInHandler: 'query-handler',
        purpose: 'Query handler',
      });
      this.cqrsTables.grantQuery(this.queryHandler);
    }

    if (readSide.apiEnabled) {
      this.api = new ServiceApi(this, 'Api', {
        serviceName: props.serviceName,
        commandHandler: this.commandHandler,
        queryHandler: this.queryHandler,
        restApi: props.apiGateway,
        authorization: props.apiAuthorization,
      });
    }
    if (props.domainEvents?.enabled ?? Boolean(store.tableStreamArn)) {
      this.domainEventPublisher = new DomainEventPublisher(this, 'DomainEvents', {
        eventStore: store,
        serviceName: props.serviceName,
        eventBus: props.domainEvents?.eventBus,
        deadLetterQueueEnabled: dlqEnabled,
      });
      if (this.domainEventPublisher.deadLetterQueue) this.deadLetterQueues.push(this.domainEventPublisher.deadLetterQueue);
    }

    Tags.of(this).add('service', props.serviceName);

    this.commandHandlerArn = this.commandHandler.functionArn;
    this.queryHandlerArn = this.queryHandler?.functionArn;
    this.eventProcessorArn = this.eventProcessor?.functionArn;
    this.apiUrl = this.api?.url;
    this.eventStoreName = store.tableName;
    this.eventStoreStreamArn = store.tableStreamArn;
    this.eventSources = this.sourceMappers.descriptions;
    this.patternsEnabled = [
      'Event Sourcing',
      'Optimistic Concurrency',
      'Idempotent Commands',
      ...(replay.snapshotEnabled ? [`Snapshots (every ${replay.snapshotFrequency} events)`] : []),
      ...(this.cqrsTables ? ['CQRS'] : []),
      ...(this.eventProcessor ? [this.cqrsTables && !props.eventProcessor ? 'Projections' : 'Event Processing'] : []),
      ...(this.domainEventPublisher ? ['Domain Events (EventBridge Pipe)'] : []),
      ...(this.api ? ['REST API'] : []),
      ...(dlqEnabled ? ['Dead Letter Queues'] : []),
    ];
    this.monitoringFeatures = [
      'X-Ray Tracing',
      'Structured JSON Logs',
      `Embedded Metrics (${METRICS_NAMESPACE})`,
      ...(this.projectionLagAlarm ? [`Projection Lag Alarm (${readSide.consistencyWindow.toHumanString()})`] : []),
      ...(this.api?.url ? ['API Access Logs'] : []),
    ];
  }

  /** Variables every function of the service gets: where the tables are and how they behave. */
  private serviceEnvironment(props: EventDrivenMicroserviceProps, replay: SnapshotSettings): Record<string, string> {
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
    if (this.cqrsTables) environment.QUERY_TABLE = this.cqrsTables.queryTable.tableName;
    return environment;
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

interface SnapshotSettings { readonly snapshotEnabled: boolean; readonly snapshotFrequency: number }

function resolveSnapshots(props: EventDrivenMicroserviceProps): SnapshotSettings {
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

interface ReadSideSettings {
  readonly enabled: boolean;
  readonly projectionEnabled: boolean;
  readonly consistencyWindow: Duration;
  readonly commandTableName?: string;
  readonly queryTableName?: string;
  readonly apiEnabled: boolean;
}

/** Resolves `cqrs`, `eventProcessor`, `queryHandler` and the API props, rejecting contradictions. */
function resolveReadSide(props: EventDrivenMicroserviceProps): ReadSideSettings {
  const cqrs = props.cqrs;
  const enabled = cqrs ? (cqrs.enabled ?? true) : false;
  if (cqrs && !enabled) {
    const set = (['commandTableName', 'queryTableName', 'projectionEnabled', 'eventualConsistencyWindow'] as const).filter((k) => cqrs[k] !== undefined);
    if (set.length > 0) throw new Error(`cqrs.${set[0]} only applies with cqrs.enabled, got cqrs.enabled false`);
  }
  if (props.queryHandler && !enabled) {
    throw new Error('queryHandler reads the query table of the read side, got no cqrs: set cqrs: { enabled: true }');
  }
  if (cqrs?.commandTableName && props.eventStore?.commandTableName) {
    throw new Error(`cqrs.commandTableName and eventStore.commandTableName both name the command table, got '${cqrs.commandTableName}' and '${props.eventStore.commandTableName}': set one`);
  }
  const names = [props.eventStore?.tableName, cqrs?.commandTableName ?? props.eventStore?.commandTableName, cqrs?.queryTableName]
    .filter((name): name is string => name !== undefined && !Token.isUnresolved(name));
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw new Error(`table names must differ, got '${duplicate}' for two of eventStore.tableName, cqrs.commandTableName and cqrs.queryTableName`);
  const projectionEnabled = enabled && (cqrs?.projectionEnabled ?? true);
  if (cqrs?.projectionEnabled === false && props.eventProcessor) {
    throw new Error('cqrs.projectionEnabled false turns the projector off, got an eventProcessor too: drop one of them');
  }
  const consistencyWindow = cqrs?.eventualConsistencyWindow ?? Duration.seconds(1);
  validateDurationRange('cqrs.eventualConsistencyWindow', cqrs?.eventualConsistencyWindow, Duration.millis(100), Duration.days(1));

  const apiEnabled = props.apiGatewayEnabled ?? Boolean(props.apiGateway);
  if (props.apiGateway && !apiEnabled) throw new Error('apiGateway is only used with apiGatewayEnabled, got apiGatewayEnabled false');
  if (props.apiAuthorization && !apiEnabled) throw new Error(`apiAuthorization only applies with apiGatewayEnabled, got ${props.apiAuthorization} and no API`);
  return {
    enabled,
    projectionEnabled: projectionEnabled || Boolean(props.eventProcessor),
    consistencyWindow,
    commandTableName: cqrs?.commandTableName,
    queryTableName: cqrs?.queryTableName,
    apiEnabled,
  };
}
