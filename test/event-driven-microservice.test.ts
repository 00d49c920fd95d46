import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { EventDrivenMicroservice, EventDrivenMicroserviceProps, EventSource } from '../src';
import { minimalServiceProps, newStack, synth } from './util';

describe('EventDrivenMicroservice outputs', () => {
  let template: Template;
  let service: EventDrivenMicroservice;
  let stack: Stack;
  beforeAll(() => {
    ({ template, stack } = synth((scope) => {
      service = new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({
        serviceName: 'payment-service',
        serviceDescription: 'Takes payments',
        eventStore: {
          ttl: Duration.days(30),
          globalSecondaryIndexes: [{ indexName: 'customer-index', partitionKey: 'customer_id', sortKey: 'timestamp' }],
        },
        eventReplay: { snapshotFrequency: 25 },
      }));
    }));
  });

  test('names and ARNs resolve to the synthesized resources', () => {
    expect(service.serviceName).toBe('payment-service');
    expect(stack.resolve(service.commandHandlerArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^SvcCommandHandler/), 'Arn'] });
    expect(stack.resolve(service.eventStoreName)).toEqual({ Ref: expect.stringMatching(/^SvcEventStoreEvents/) });
    expect(stack.resolve(service.eventStoreStreamArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^SvcEventStoreEvents/), 'StreamArn'] });
    expect(service.commandHandler).toBeDefined();
    expect(service.eventStore.eventsTable).toBeDefined();
  });

  test('lists sources, patterns and monitoring features', () => {
    expect(service.eventSources).toEqual(['EventBridge: default bus, source=["test.source"]']);
    expect(service.patternsEnabled).toEqual([
      'Event Sourcing', 'Optimistic Concurrency', 'Idempotent Commands', 'Snapshots (every 25 events)',
      'Domain Events (EventBridge Pipe)', 'Dead Letter Queues',
    ]);
    expect(service.monitoringFeatures).toEqual(['X-Ray Tracing', 'Structured JSON Logs', 'Embedded Metrics (EventDrivenMicroservice)']);
  });

  test('TTL, indexed attributes and snapshot frequency reach the runtime', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Command handler (Takes payments) of payment-service',
      Environment: {
        Variables: Match.objectLike({ EVENT_TTL_SECONDS: '2592000', GSI_KEY_ATTRIBUTES: 'customer_id', SNAPSHOT_FREQUENCY: '25' }),
      },
    });
  });

  test('the command handler can append and nothing more', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.entries(policies)
      .filter(([id]) => id.startsWith('SvcCommandHandlerRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const actions = new Set(statements.flatMap((s: any) => [].concat(s.Action)));
    expect(actions).toEqual(new Set([
      'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query', 'dynamodb:GetItem',
      'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey',
      'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage',
      'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
    ]));
  });

  test('failed async invocations go to a DLQ and every resource is tagged with the service', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SvcCommandHandlerDeadLetterQueue'), 'Arn'] } },
    });
    // The command handler's, the EventBridge source's and the domain-event pipe's.
    expect(service.deadLetterQueues).toHaveLength(3);
    template.hasResourceProperties('AWS::DynamoDB::Table', { Tags: Match.arrayWith([{ Key: 'service', Value: 'payment-service' }]) });
  });
});

describe('EventDrivenMicroservice snapshots', () => {
  test('snapshots off: no snapshot table, frequency 0, no pattern', () => {
    let service!: EventDrivenMicroservice;
    const { template } = synth((scope) => {
      service = new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({ eventReplay: { snapshotEnabled: false } }));
    });
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    expect(fn.Properties.Environment.Variables.SNAPSHOT_FREQUENCY).toBe('0');
    expect(fn.Properties.Environment.Variables.SNAPSHOT_TABLE).toBeUndefined();
    expect(service.patternsEnabled.some((p) => p.startsWith('Snapshots'))).toBe(false);
  });
});

describe('EventDrivenMicroservice validation', () => {
  const base = minimalServiceProps();
  const cases: Array<[string, Partial<EventDrivenMicroserviceProps>, RegExp]> = [
    ['a missing serviceName', { serviceName: undefined as any }, /serviceName is required \(a name such as 'order-service'\), got undefined/],
    ['a bad serviceName', { serviceName: 'order service' }, /serviceName must be 1-64 characters .* got 'order service'/],
    ['a missing commandHandler', { commandHandler: undefined as any }, /commandHandler is required .* got undefined/],
    ['a missing eventStore', { eventStore: undefined as any }, /eventStore is required .* got undefined/],
    ['a missing eventSources', { eventSources: undefined as any }, /eventSources is required .* got undefined/],
    ['empty eventSources', { eventSources: [] }, /eventSources must list at least one source .* got \[\]/],
    ['a raw object as a source', { eventSources: [{ type: 'EventBridge' } as any] }, /eventSources\[0\] must be made with an EventSource factory/],
    ['a contradictory snapshot setting', { eventStore: { snapshotsEnabled: false }, eventReplay: { snapshotEnabled: true } },
      /eventReplay.snapshotEnabled \(true\) contradicts eventStore.snapshotsEnabled \(false\)/],
    ['a frequency with snapshots off', { eventReplay: { snapshotEnabled: false, snapshotFrequency: 10 } },
      /eventReplay.snapshotFrequency only applies with snapshots on, got 10/],
    ['a frequency of 0', { eventReplay: { snapshotFrequency: 0 } }, /eventReplay.snapshotFrequency must be an integer between 1 and 10000 events, got 0/],
    ['subnets without a VPC', { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }, /vpcSubnets only applies with vpc, got no vpc/],
    ['a long description', { serviceDescription: 'x'.repeat(201) }, /serviceDescription must be at most 200 characters, got 201/],
  ];
  test.each(cases)('rejects %s', (_name, overrides, message) => {
    expect(() => new EventDrivenMicroservice(newStack(), 'Svc', { ...base, ...overrides })).toThrow(message);
  });

  test('an EventStore prop error names the eventStore prop', () => {
    expect(() => new EventDrivenMicroservice(newStack(), 'Svc', minimalServiceProps({ eventStore: { tableName: 'a b' } })))
      .toThrow(/^eventStore.tableName/);
    expect(() => new EventDrivenMicroservice(newStack(), 'Svc', minimalServiceProps({
      eventStore: { globalSecondaryIndexes: [{ indexName: 'i', partitionKey: 'k', partitionKeyType: dynamodb.AttributeType.NUMBER }] },
    }))).toThrow(/eventStore.globalSecondaryIndexes\[0\].indexName must be 3-255 characters/);
  });

  test('two sources are wired in order', () => {
    const service = new EventDrivenMicroservice(newStack(), 'Svc', minimalServiceProps({
      eventSources: [EventSource.eventBridge({ eventPattern: { source: ['a'] } }), EventSource.eventBridge({ eventPattern: { source: ['b'] } })],
    }));
    expect(service.eventSources).toEqual(['EventBridge: default bus, source=["a"]', 'EventBridge: default bus, source=["b"]']);
  });
});
