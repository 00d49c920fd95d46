// Synth time of the order-service example against the same resources written directly with
// aws-cdk-lib (no validation, no shared factory), measured in the same process, as a ratio.
import * as path from 'path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { OrderServiceStack } from '../examples/order-service';

/** The order service's resources, written by hand: the floor any construct library sits on. */
class HandWrittenOrderStack extends Stack {
  constructor(scope: App, id: string) {
    super(scope, id);
    const key = new kms.Key(this, 'Key', { enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
    const table = (tableId: string, name: string, sortKey: boolean, stream: boolean) => new dynamodb.Table(this, tableId, {
      tableName: name,
      partitionKey: { name: tableId === 'Commands' ? 'commandId' : 'streamId', type: dynamodb.AttributeType.STRING },
      sortKey: sortKey ? { name: 'version', type: dynamodb.AttributeType.NUMBER } : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      stream: stream ? dynamodb.StreamViewType.NEW_IMAGE : undefined,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const eventsTable = table('Events', 'order-events', true, true);
    const snapshots = table('Snapshots', 'order-events-snapshots', true, false);
    const commands = table('Commands', 'order-events-commands', false, false);
    const dlq = (queueId: string) => new sqs.Queue(this, queueId, {
      encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14),
    });
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    const fn = new lambda.Function(this, 'Handler', {
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'assets', 'handlers', 'command-handler')),
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      role,
      logGroup,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      timeout: Duration.seconds(60),
      memorySize: 512,
      deadLetterQueue: dlq('HandlerDlq'),
      environment: { EVENT_STORE_TABLE: eventsTable.tableName, SNAPSHOT_TABLE: snapshots.tableName, COMMAND_TABLE: commands.tableName },
    });
    eventsTable.grant(fn, 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:GetItem');
    commands.grant(fn, 'dynamodb:PutItem', 'dynamodb:GetItem');
    snapshots.grant(fn, 'dynamodb:PutItem', 'dynamodb:Query');
    key.grant(fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    new events.Rule(this, 'Rule', { eventPattern: { source: ['ecommerce.orders'], detailType: ['Order Created', 'Order Updated'] } })
      .addTarget(new targets.LambdaFunction(fn, { deadLetterQueue: dlq('RuleDlq'), retryAttempts: 185, maxEventAge: Duration.hours(24) }));
    // Domain events: a pipe from the stream to a bus.
    const bus = new events.EventBus(this, 'Bus');
    const pipeDlq = dlq('PipeDlq');
    const pipeRole = new iam.Role(this, 'PipeRole', { assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com') });
    eventsTable.grantStreamRead(pipeRole);
    bus.grantPutEventsTo(pipeRole);
    pipeDlq.grantSendMessages(pipeRole);
    new pipes.CfnPipe(this, 'Pipe', {
      roleArn: pipeRole.roleArn,
      source: eventsTable.tableStreamArn!,
      sourceParameters: { dynamoDbStreamParameters: { startingPosition: 'TRIM_HORIZON', batchSize: 10, deadLetterConfig: { arn: pipeDlq.queueArn } } },
      target: bus.eventBusArn,
      targetParameters: { eventBridgeEventBusParameters: { source: 'order-service', detailType: '$.dynamodb.NewImage.eventType.S' } },
    });
  }
}

function synthMs(makeStack: (app: App) => Stack): number {
  const started = process.hrtime.bigint();
  const app = new App();
  makeStack(app);
  app.synth();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export interface SynthBench { readonly constructMs: number; readonly baselineMs: number; readonly ratio: number }

/** Alternates the two stacks so both see the same warm caches; the first round loads modules and is dropped. */
export function benchSynth(runs = 9): SynthBench {
  const baseline: number[] = [];
  const construct: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const b = synthMs((app) => new HandWrittenOrderStack(app, 'Baseline'));
    const c = synthMs((app) => new OrderServiceStack(app, 'OrderService'));
    if (i > 0) {
      baseline.push(b);
      construct.push(c);
    }
  }
  const constructMs = median(construct);
  const baselineMs = median(baseline);
  return { constructMs, baselineMs, ratio: constructMs / baselineMs };
}

if (require.main === module) {
  const r = benchSynth();
  console.log(`synth order-service: ${r.constructMs.toFixed(0)} ms vs hand-written aws-cdk-lib ${r.baselineMs.toFixed(0)} ms (${r.ratio.toFixed(2)}x), median of 9`);
}
