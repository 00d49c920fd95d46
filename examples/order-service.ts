// The seed's first example, "Basic Event-Driven Service", as a CDK app:
//   npx ts-node --project tsconfig.dev.json examples/order-service.ts
// Orders arrive as EventBridge events from `ecommerce.orders`; the built-in command handler
// appends them to a KMS-encrypted event store with point-in-time recovery.
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EventDrivenMicroservice, EventSource, EventStoreEncryption } from '../src';

export class OrderServiceStack extends Stack {
  public readonly service: EventDrivenMicroservice;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.service = new EventDrivenMicroservice(this, 'OrderService', {
      serviceName: 'order-service',
      serviceDescription: 'Order processing service',
      eventSources: [
        EventSource.eventBridge({
          eventPattern: {
            source: ['ecommerce.orders'],
            detailType: ['Order Created', 'Order Updated'],
          },
        }),
      ],
      // The seed names a Python handler it never ships; without `code` the construct deploys
      // its built-in command handler, so this service works end to end as it stands.
      commandHandler: {
        timeout: Duration.seconds(60),
        memorySize: 512,
        environment: { STAGE: 'production' },
      },
      eventStore: {
        tableName: 'order-events',
        streamEnabled: true,
        encryption: EventStoreEncryption.KMS,
        pointInTimeRecovery: true,
      },
    });
  }
}

if (require.main === module) {
  const app = new App();
  new OrderServiceStack(app, 'OrderService');
  app.synth();
}
