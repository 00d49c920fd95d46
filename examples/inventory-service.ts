// The seed's second example, "Event-Driven Service with CQRS", as a CDK app: inventory commands
// arrive on an SQS queue and as changes to a products table (DynamoDB Streams).
//   npx ts-node --project examples/tsconfig.json examples/inventory-service.ts
import { App, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventDrivenMicroservice, EventSource } from '../src';

const HANDLER_TIMEOUT = Duration.seconds(30);

export class InventoryServiceStack extends Stack {
  public readonly service: EventDrivenMicroservice;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const inventoryQueue = new sqs.Queue(this, 'InventoryQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS recommends six times the handler's timeout for a Lambda event source.
      visibilityTimeout: Duration.seconds(6 * HANDLER_TIMEOUT.toSeconds()),
    });
    const productsTable = new dynamodb.Table(this, 'Products', {
      partitionKey: { name: 'sku', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.service = new EventDrivenMicroservice(this, 'InventoryService', {
      serviceName: 'inventory-service',
      eventSources: [
        // The construct gives the queue a redrive policy to a DLQ (it is defined in this stack).
        EventSource.sqs(inventoryQueue, { batchSize: 25, maxBatchingWindow: Duration.seconds(20) }),
        EventSource.dynamoDbStream(productsTable, {
          startingPosition: lambda.StartingPosition.LATEST,
          parallelizationFactor: 10,
        }),
      ],
      // The seed's Node.js 18 handlers are not shipped; the built-in command and query handlers
      // run instead, with the seed's sizing.
      commandHandler: {
        timeout: HANDLER_TIMEOUT,
        memorySize: 1024,
        reservedConcurrentExecutions: 100,
      },
      queryHandler: {
        timeout: Duration.seconds(10),
        memorySize: 512,
      },
      eventStore: {
        tableName: 'inventory-events',
        streamEnabled: true,
        ttl: Duration.days(90),
      },
      cqrs: {
        enabled: true,
        commandTableName: 'inventory-commands',
        queryTableName: 'inventory-projections',
        projectionEnabled: true,
        eventualConsistencyWindow: Duration.millis(500),
      },
      // The seed's queries are served over HTTP: POST /commands, GET /queries/{id}, IAM-signed.
      apiGatewayEnabled: true,
    });
  }
}

if (require.main === module) {
  const app = new App();
  new InventoryServiceStack(app, 'InventoryService');
  app.synth();
}
