import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventDrivenMicroservice, EventSource } from '../src';
import { minimalServiceProps, newStack, synth } from './util';

/** A service whose only source is the one under test, with a 30 s handler. */
function serviceWith(scope: Construct, source: EventSource, extra: object = {}): EventDrivenMicroservice {
  return new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({
    eventSources: [source], commandHandler: { timeout: Duration.seconds(30) }, ...extra,
  }));
}

const visibility = Duration.seconds(180);

describe('EventSource.sqs on a queue of the same stack', () => {
  let template: Template;
  let service: EventDrivenMicroservice;
  beforeAll(() => {
    ({ template } = synth((scope) => {
      const queue = new sqs.Queue(scope, 'Work', { visibilityTimeout: visibility, queueName: 'work' });
      service = serviceWith(scope, EventSource.sqs(queue, { batchSize: 25, maxBatchingWindow: Duration.seconds(20), maxConcurrency: 5 }),
        { deadLetterMaxReceiveCount: 5 });
    }));
  });

  test('an event source mapping with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Work'), 'Arn'] },
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('the queue gets a redrive policy to a new DLQ with deadLetterMaxReceiveCount', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'work',
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SvcSourcesSource0DeadLetterQueue'), 'Arn'] }, maxReceiveCount: 5 },
    });
    // The command handler's, the queue's and the domain-event pipe's.
    expect(service.deadLetterQueues).toHaveLength(3);
    expect(service.eventSources).toEqual(['SQS: queue work (batch 25, window 20 seconds, DLQ after 5 receives)']);
  });
});

describe('EventSource.sqs variants', () => {
  test('a FIFO queue gets a FIFO DLQ and batch size 10', () => {
    const { template } = synth((scope) => {
      const queue = new sqs.Queue(scope, 'Orders', { fifo: true, visibilityTimeout: visibility });
      serviceWith(scope, EventSource.sqs(queue, { batchSize: 10 }));
    });
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true }, 2);
  });

  test('a queue with its own DLQ keeps it', () => {
    const { template } = synth((scope) => {
      const ownDlq = new sqs.Queue(scope, 'OwnDlq');
      const queue = new sqs.Queue(scope, 'Work', { visibilityTimeout: visibility, deadLetterQueue: { queue: ownDlq, maxReceiveCount: 7 } });
      serviceWith(scope, EventSource.sqs(queue));
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OwnDlq'), 'Arn'] }, maxReceiveCount: 7 },
    });
    expect(Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => id.includes('Source0DeadLetterQueue'))).toEqual([]);
  });

  test('an imported queue is left alone, with a warning', () => {
    const { template, annotations } = synth((scope) => {
      const queue = sqs.Queue.fromQueueArn(scope, 'Imported', 'arn:aws:sqs:eu-west-1:123456789012:imported');
      serviceWith(scope, EventSource.sqs(queue));
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: 'arn:aws:sqs:eu-west-1:123456789012:imported' });
    annotations.hasWarning('*', Match.stringLikeRegexp('eventSources\\[0\\]: the queue is imported .* cannot add a redrive policy'));
  });

  test('a visibility timeout under 6x the handler timeout is a warning', () => {
    const { annotations } = synth((scope) => {
      serviceWith(scope, EventSource.sqs(new sqs.Queue(scope, 'Work', { visibilityTimeout: Duration.seconds(60) })));
    });
    annotations.hasWarning('*', Match.stringLikeRegexp('queue visibility timeout 60 s is under 6x the handler\'s timeout \\(180 s\\)'));
  });
});

describe('EventSource.sns', () => {
  test('a subscription with filter policy and a subscription DLQ', () => {
    let service!: EventDrivenMicroservice;
    const { template } = synth((scope) => {
      const topic = new sns.Topic(scope, 'Topic', { topicName: 'orders' });
      service = serviceWith(scope, EventSource.sns(topic, {
        filterPolicy: { kind: sns.SubscriptionFilter.stringFilter({ allowlist: ['order'] }) },
      }));
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      FilterPolicy: { kind: ['order'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SvcSourcesSource0DeadLetterQueue'), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'sns.amazonaws.com' });
    expect(service.eventSources).toEqual(['SNS: topic orders (filtered on kind, subscription DLQ)']);
  });
});

describe('EventSource.kinesis', () => {
  let template: Template;
  let service: EventDrivenMicroservice;
  beforeAll(() => {
    ({ template } = synth((scope) => {
      const stream = new kinesis.Stream(scope, 'Clicks', { streamName: 'clicks' });
      service = serviceWith(scope, EventSource.kinesis(stream, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        parallelizationFactor: 10,
        maxBatchingWindow: Duration.seconds(5),
        maxRecordAge: Duration.hours(1),
      }));
    }));
  });

  test('bisect, partial batches, bounded retries and an on-failure DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      ParallelizationFactor: 10,
      MaximumBatchingWindowInSeconds: 5,
      MaximumRecordAgeInSeconds: 3600,
      MaximumRetryAttempts: 3,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SvcSourcesSource0DeadLetterQueue'), 'Arn'] } } },
    });
    expect(service.eventSources).toEqual(['Kinesis: stream clicks (from TRIM_HORIZON, batch 100, window 5 seconds, parallelization 10, retries 3, on-failure destination)']);
  });

  test('AT_TIMESTAMP with a timestamp', () => {
    const { template: t } = synth((scope) => {
      const stream = new kinesis.Stream(scope, 'Clicks');
      serviceWith(scope, EventSource.kinesis(stream, {
        startingPosition: lambda.StartingPosition.AT_TIMESTAMP, startingPositionTimestamp: 1767225600,
      }));
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: 1767225600 });
  });

  test('with DLQs off and no destination, retries are unbounded so nothing is discarded unseen', () => {
    const { template: t } = synth((scope) => {
      const stream = new kinesis.Stream(scope, 'Clicks');
      serviceWith(scope, EventSource.kinesis(stream, { startingPosition: lambda.StartingPosition.LATEST }), { deadLetterQueueEnabled: false });
    });
    const mapping = Object.values(t.findResources('AWS::Lambda::EventSourceMapping'))[0];
    expect(mapping.Properties.MaximumRetryAttempts).toBeUndefined();
    expect(mapping.Properties.DestinationConfig).toBeUndefined();
  });

  test('a given on-failure destination is used', () => {
    const { template: t } = synth((scope) => {
      const stream = new kinesis.Stream(scope, 'Clicks');
      const mine = new sqs.Queue(scope, 'Mine');
      serviceWith(scope, EventSource.kinesis(stream, {
        startingPosition: lambda.StartingPosition.LATEST, onFailure: new sources.SqsDlq(mine), retryAttempts: 7,
      }));
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumRetryAttempts: 7,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Mine'), 'Arn'] } } },
    });
  });
});

describe('EventSource.dynamoDbStream', () => {
  test('reads the table stream with the same failure handling', () => {
    const { template } = synth((scope) => {
      const table = new dynamodb.Table(scope, 'Products', {
        partitionKey: { name: 'sku', type: dynamodb.AttributeType.STRING }, stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      });
      serviceWith(scope, EventSource.dynamoDbStream(table, { startingPosition: lambda.StartingPosition.LATEST, parallelizationFactor: 10 }));
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Products'), 'StreamArn'] },
      StartingPosition: 'LATEST',
      ParallelizationFactor: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });
});

describe('event source validation', () => {
  const stack = (): Stack => newStack();
  type Case = [string, (scope: Construct) => EventSource, RegExp];
  const queue = (scope: Construct, fifo = false) => new sqs.Queue(scope, 'Q', { fifo, visibilityTimeout: visibility });
  const stream = (scope: Construct) => new kinesis.Stream(scope, 'S');
  const table = (scope: Construct, withStream = true) => new dynamodb.Table(scope, 'T', {
    partitionKey: { name: 'k', type: dynamodb.AttributeType.STRING }, stream: withStream ? dynamodb.StreamViewType.NEW_IMAGE : undefined,
  });
  const LATEST = lambda.StartingPosition.LATEST;
  const cases: Case[] = [
    ['SQS batch size 0', (s) => EventSource.sqs(queue(s), { batchSize: 0 }), /eventSources\[0\].batchSize must be an integer between 1 and 10000, got 0/],
    ['SQS batch size 10001', (s) => EventSource.sqs(queue(s), { batchSize: 10001, maxBatchingWindow: Duration.seconds(1) }), /between 1 and 10000, got 10001/],
    ['SQS batch over 10 without a window', (s) => EventSource.sqs(queue(s), { batchSize: 50 }), /batchSize over 10 needs a maxBatchingWindow .* got batchSize 50 and no window/],
    ['FIFO batch of 25', (s) => EventSource.sqs(queue(s, true), { batchSize: 25 }), /eventSources\[0\].batchSize must be an integer between 1 and 10 for a FIFO queue, got 25/],
    ['FIFO with a window', (s) => EventSource.sqs(queue(s, true), { maxBatchingWindow: Duration.seconds(5) }), /maxBatchingWindow is not supported for a FIFO queue, got 5 seconds/],
    ['SQS window of 301 s', (s) => EventSource.sqs(queue(s), { maxBatchingWindow: Duration.seconds(301) }), /maxBatchingWindow must be between 0 seconds and 5 minutes, got 5 minutes 1 second/],
    ['SQS max concurrency 1', (s) => EventSource.sqs(queue(s), { maxConcurrency: 1 }), /maxConcurrency must be an integer between 2 and 1000, got 1/],
    ['SQS onFailure', (s) => EventSource.sqs(queue(s), { onFailure: new sources.SqsDlq(new sqs.Queue(s, 'D')) }),
      /eventSources\[0\].onFailure is not supported by AWS for SQS sources .* redrive policy/],
    ['a visibility timeout under the handler timeout', (s) => EventSource.sqs(new sqs.Queue(s, 'Q', { visibilityTimeout: Duration.seconds(10) })),
      /has a visibility timeout of 10 s, less than the handler's timeout of 30 s/],
    ['a FIFO topic', (s) => EventSource.sns(new sns.Topic(s, 'T', { fifo: true })), /is a FIFO topic, which cannot deliver to Lambda/],
    ['both SNS filter scopes', (s) => EventSource.sns(new sns.Topic(s, 'T'), {
      filterPolicy: { a: sns.SubscriptionFilter.existsFilter() },
      filterPolicyWithMessageBody: { b: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.existsFilter()) },
    }), /filterPolicy and filterPolicyWithMessageBody cannot both be set/],
    ['a missing starting position', (s) => EventSource.kinesis(stream(s), {} as any), /eventSources\[0\].startingPosition is required for a stream source .* got undefined/],
    ['AT_TIMESTAMP without a timestamp', (s) => EventSource.kinesis(stream(s), { startingPosition: lambda.StartingPosition.AT_TIMESTAMP }),
      /startingPositionTimestamp is required with startingPosition AT_TIMESTAMP, got none/],
    ['a timestamp without AT_TIMESTAMP', (s) => EventSource.kinesis(stream(s), { startingPosition: LATEST, startingPositionTimestamp: 1 }),
      /startingPositionTimestamp only applies with startingPosition AT_TIMESTAMP, got 1 with LATEST/],
    ['stream batch size 0', (s) => EventSource.kinesis(stream(s), { startingPosition: LATEST, batchSize: 0 }), /batchSize must be an integer between 1 and 10000, got 0/],
    ['stream window 301 s', (s) => EventSource.kinesis(stream(s), { startingPosition: LATEST, maxBatchingWindow: Duration.seconds(301) }), /maxBatchingWindow must be between 0 seconds and 5 minutes/],
    ['parallelization 11', (s) => EventSource.kinesis(stream(s), { startingPosition: LATEST, parallelizationFactor: 11 }), /parallelizationFactor must be an integer between 1 and 10, got 11/],
    ['retries -2', (s) => EventSource.kinesis(stream(s), { startingPosition: LATEST, retryAttempts: -2 }), /retryAttempts must be an integer between -1 and 10000, got -2/],
    ['retries 10001', (s) => EventSource.dynamoDbStream(table(s), { startingPosition: LATEST, retryAttempts: 10001 }), /retryAttempts must be an integer between -1 and 10000, got 10001/],
    ['record age 59 s', (s) => EventSource.kinesis(stream(s), { startingPosition: LATEST, maxRecordAge: Duration.seconds(59) }), /maxRecordAge must be between 1 minute and 7 days, got 59 seconds/],
    ['record age 8 days', (s) => EventSource.dynamoDbStream(table(s), { startingPosition: LATEST, maxRecordAge: Duration.days(8) }), /maxRecordAge must be between 1 minute and 7 days, got 8 days/],
    ['AT_TIMESTAMP on DynamoDB', (s) => EventSource.dynamoDbStream(table(s), { startingPosition: lambda.StartingPosition.AT_TIMESTAMP }),
      /startingPosition must be one of TRIM_HORIZON, LATEST for a table source, got 'AT_TIMESTAMP'/],
    ['a table with no stream', (s) => EventSource.dynamoDbStream(table(s, false), { startingPosition: LATEST }), /eventSources\[0\].table .* has no stream/],
  ];
  test.each(cases)('rejects %s', (_name, makeSource, message) => {
    const s = stack();
    expect(() => serviceWith(s, makeSource(s))).toThrow(message);
  });

  test('deadLetterMaxReceiveCount needs DLQs on and an SQS source', () => {
    const s1 = stack();
    expect(() => serviceWith(s1, EventSource.sqs(queue(s1)), { deadLetterQueueEnabled: false, deadLetterMaxReceiveCount: 5 }))
      .toThrow('deadLetterMaxReceiveCount only applies with deadLetterQueueEnabled, got 5 with DLQs off');
    const s2 = stack();
    expect(() => serviceWith(s2, EventSource.eventBridge({ eventPattern: { source: ['x'] } }), { deadLetterMaxReceiveCount: 5 }))
      .toThrow(/deadLetterMaxReceiveCount applies to SQS sources, got 5 and no EventSource.sqs/);
    const s3 = stack();
    expect(() => serviceWith(s3, EventSource.sqs(queue(s3)), { deadLetterMaxReceiveCount: 0 }))
      .toThrow('deadLetterMaxReceiveCount must be an integer between 1 and 1000, got 0');
  });

  test('unresolved tokens are not validated', () => {
    const { template } = synth((scope) => {
      const batchSize = new CfnParameter(scope, 'BatchSize', { type: 'Number' }).valueAsNumber;
      serviceWith(scope, EventSource.kinesis(new kinesis.Stream(scope, 'S'), { startingPosition: LATEST, batchSize }));
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: { Ref: 'BatchSize' } });
  });
});
