import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { EventStore, EventStoreEncryption, EventStoreProps } from '../src';
import { newStack, synth } from './util';

function storeTemplate(props: EventStoreProps = {}): { template: Template; store: EventStore } {
  let store!: EventStore;
  const { template } = synth((scope) => { store = new EventStore(scope, 'Store', props); });
  return { template, store };
}

describe('EventStore with defaults', () => {
  let template: Template;
  let store: EventStore;
  beforeAll(() => ({ template, store } = storeTemplate()));

  test('creates events, snapshots and commands tables', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 3);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'streamId', KeyType: 'HASH' }, { AttributeName: 'version', KeyType: 'RANGE' }],
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      BillingMode: 'PAY_PER_REQUEST',
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'commandId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(store.snapshotsTable).toBeDefined();
  });

  test('encrypts every table with a customer-managed key with rotation', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const tables = template.findResources('AWS::DynamoDB::Table');
    for (const table of Object.values(tables)) {
      expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
      expect(table.Properties.SSESpecification.KMSMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StoreKey/), 'Arn'] });
    }
  });

  test('has point-in-time recovery on and RETAIN on every table', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    for (const table of Object.values(tables)) {
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.DeletionPolicy).toBe('Retain');
    }
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('has no TTL on events and exposes the stream', () => {
    const events = Object.values(template.findResources('AWS::DynamoDB::Table', {
      Properties: { StreamSpecification: Match.anyValue() },
    }));
    expect(events).toHaveLength(1);
    expect(events[0].Properties.TimeToLiveSpecification).toBeUndefined();
    expect(store.tableStreamArn).toBeDefined();
    expect(store.indexedAttributes).toEqual([]);
  });
});

describe('EventStore options', () => {
  test('DEFAULT encryption creates no key', () => {
    const { template, store } = storeTemplate({ encryption: EventStoreEncryption.DEFAULT });
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(store.encryptionKey).toBeUndefined();
    const tables = template.findResources('AWS::DynamoDB::Table');
    for (const table of Object.values(tables)) expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: false });
  });

  test('a given key is used instead of creating one', () => {
    const { template } = synth((scope) => {
      const key = new kms.Key(scope, 'MyKey', { enableKeyRotation: true });
      new EventStore(scope, 'Store', { encryptionKey: key });
    });
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyKey'), 'Arn'] } },
    });
  });

  test('tableName names the companion tables', () => {
    const { template } = storeTemplate({ tableName: 'order-events' });
    for (const name of ['order-events', 'order-events-snapshots', 'order-events-commands']) {
      template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: name });
    }
  });

  test('streamEnabled false, PITR off, no snapshots, DESTROY', () => {
    const { template, store } = storeTemplate({
      streamEnabled: false, pointInTimeRecovery: false, snapshotsEnabled: false, removalPolicy: RemovalPolicy.DESTROY,
    });
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    const tables = template.findResources('AWS::DynamoDB::Table');
    for (const table of Object.values(tables)) {
      expect(table.Properties.StreamSpecification).toBeUndefined();
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: false });
      expect(table.DeletionPolicy).toBe('Delete');
    }
    expect(store.tableStreamArn).toBeUndefined();
    expect(store.snapshotsTable).toBeUndefined();
    expect(() => store.grantStreamRead(new iam.AccountRootPrincipal())).toThrow(/eventStore.streamEnabled is false/);
  });

  test('ttl turns on TTL on expiresAt', () => {
    const { template, store } = storeTemplate({ ttl: Duration.days(90) });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'streamId', KeyType: 'HASH' }, { AttributeName: 'version', KeyType: 'RANGE' }],
      StreamSpecification: Match.anyValue(),
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(store.ttl?.toDays()).toBe(90);
  });

  test('user GSIs are created and their data keys are indexed attributes', () => {
    const { template, store } = storeTemplate({
      globalSecondaryIndexes: [
        { indexName: 'customer-index', partitionKey: 'customer_id', sortKey: 'timestamp' },
        { indexName: 'type-index', partitionKey: 'eventType', projectionType: dynamodb.ProjectionType.KEYS_ONLY },
      ],
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'customer-index',
          KeySchema: [{ AttributeName: 'customer_id', KeyType: 'HASH' }, { AttributeName: 'timestamp', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'ALL' },
        },
        { IndexName: 'type-index', Projection: { ProjectionType: 'KEYS_ONLY' } },
      ],
    });
    expect(store.indexedAttributes).toEqual(['customer_id']);
  });
});

describe('EventStore grants', () => {
  test('grantAppend is least privilege: no scan, delete or KMS wildcards', () => {
    const { template } = synth((scope) => {
      const store = new EventStore(scope, 'Store');
      const role = new iam.Role(scope, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      store.grantAppend(role);
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [].concat(s.Action)));
    expect(new Set(actions)).toEqual(new Set([
      'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query', 'dynamodb:GetItem',
      'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey',
    ]));
    for (const action of actions) expect(action).not.toMatch(/\*|Scan|Delete|UpdateItem/);
  });

  test('grantRead and grantStreamRead give read actions only', () => {
    const { template } = synth((scope) => {
      const store = new EventStore(scope, 'Store');
      const role = new iam.Role(scope, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      store.grantRead(role);
      store.grantStreamRead(role);
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const actions: string[] = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [].concat(s.Action)));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']));
    for (const action of actions) expect(action).not.toMatch(/PutItem|Delete|UpdateItem|Encrypt/);
  });

  test('metrics name the events table', () => {
    const stack = newStack();
    const store = new EventStore(stack, 'Store');
    const metric = store.metricSuccessfulRequestLatency('TransactWriteItems') as any;
    expect(metric.metricName).toBe('SuccessfulRequestLatency');
    expect(metric.dimensions.Operation).toBe('TransactWriteItems');
    expect((store.metricConditionalCheckFailedRequests() as any).metricName).toBe('ConditionalCheckFailedRequests');
    expect((store.metricConsumedWriteCapacityUnits() as any).metricName).toBe('ConsumedWriteCapacityUnits');
    expect(store.metricThrottledRequests()).toBeDefined();
  });
});

describe('EventStore validation', () => {
  const cases: Array<[string, EventStoreProps, RegExp]> = [
    ['DEFAULT encryption with a key', { encryption: EventStoreEncryption.DEFAULT, encryptionKey: {} as kms.IKey },
      /eventStore.encryptionKey is only used with eventStore.encryption KMS, got encryption DEFAULT with a key/],
    ['an invalid table name', { tableName: 'order events!' }, /eventStore.tableName must be 3-245 characters .* got 'order events!'/],
    ['a too short table name', { tableName: 'ab' }, /eventStore.tableName must be .* got 'ab'/],
    ['an unknown encryption', { encryption: 'AES' as EventStoreEncryption }, /eventStore.encryption must be one of DEFAULT, KMS, got 'AES'/],
    ['a ttl under an hour', { ttl: Duration.minutes(5) }, /eventStore.ttl must be between 1 hour and .* got 5 minutes/],
    ['duplicate index names', {
      globalSecondaryIndexes: [{ indexName: 'by-x', partitionKey: 'x' }, { indexName: 'by-x', partitionKey: 'y' }],
    }, /globalSecondaryIndexes\[1\].indexName 'by-x' is used by another index/],
    ['an index key with the wrong type', {
      globalSecondaryIndexes: [{ indexName: 'by-version', partitionKey: 'version' }],
    }, /globalSecondaryIndexes\[0\].partitionKey 'version' is an attribute of type N, got type S/],
    ['nonKeyAttributes without INCLUDE', {
      globalSecondaryIndexes: [{ indexName: 'by-x', partitionKey: 'x', nonKeyAttributes: ['y'] }],
    }, /nonKeyAttributes needs projectionType INCLUDE/],
  ];
  test.each(cases)('rejects %s', (_name, props, message) => {
    expect(() => new EventStore(newStack(), 'Store', props)).toThrow(message);
  });

  test('rejects more than 20 indexes', () => {
    const indexes = Array.from({ length: 21 }, (_, i) => ({ indexName: `index-${i}`, partitionKey: `k${i}` }));
    expect(() => new EventStore(newStack(), 'Store', { globalSecondaryIndexes: indexes }))
      .toThrow('eventStore.globalSecondaryIndexes can have at most 20 indexes, got 21');
  });
});
