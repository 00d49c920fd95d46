import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { EventBridgeSourceProps, EventDrivenMicroservice, EventSource } from '../src';
import { minimalServiceProps, newStack, synth } from './util';

describe('EventSource.eventBridge on the default bus', () => {
  let template: Template;
  let service: EventDrivenMicroservice;
  beforeAll(() => {
    ({ template } = synth((scope) => {
      service = new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({
        eventSources: [EventSource.eventBridge({ eventPattern: { source: ['ecommerce.orders'], detailType: ['Order Created'] } })],
      }));
    }));
  });

  test('a rule with the pattern targets the command handler with retry policy and DLQ', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['ecommerce.orders'], 'detail-type': ['Order Created'] },
      State: 'ENABLED',
      Targets: [{
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SvcCommandHandler'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SvcSourcesSource0DeadLetterQueue'), 'Arn'] } },
      }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction' });
  });

  test('the target DLQ is encrypted, SSL-only, 14 days, and EventBridge may send to it', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' }),
        ]),
      },
    });
  });

  test('describes the source', () => {
    expect(service.eventSources).toEqual(['EventBridge: default bus, detailType=["Order Created"], source=["ecommerce.orders"]']);
  });
});

describe('EventSource.eventBridge options', () => {
  test('a given bus, rule name, retries and event age', () => {
    const { template } = synth((scope) => {
      const bus = new events.EventBus(scope, 'Bus', { eventBusName: 'checkout' });
      new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({
        eventSources: [EventSource.eventBridge({
          eventBus: bus, eventPattern: { source: ['ecommerce.checkout'] }, ruleName: 'payments-in', retryAttempts: 3, maxEventAge: Duration.hours(2),
        })],
      }));
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'payments-in',
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 } })],
    });
  });

  test('no DLQ anywhere when deadLetterQueueEnabled is false', () => {
    let service!: EventDrivenMicroservice;
    const { template } = synth((scope) => {
      service = new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({ deadLetterQueueEnabled: false }));
    });
    template.resourceCountIs('AWS::SQS::Queue', 0);
    const rule = Object.values(template.findResources('AWS::Events::Rule'))[0];
    expect(rule.Properties.Targets[0].DeadLetterConfig).toBeUndefined();
    expect(service.deadLetterQueues).toHaveLength(0);
    expect(service.patternsEnabled).not.toContain('Dead Letter Queues');
  });
});

describe('EventSource.eventBridge validation', () => {
  const pattern = { source: ['x'] };
  const cases: Array<[string, EventBridgeSourceProps, RegExp]> = [
    ['no pattern', { eventPattern: undefined as any }, /eventSources\[0\].eventPattern must match on at least one of .* got undefined/],
    ['an empty pattern', { eventPattern: {} }, /eventSources\[0\].eventPattern must match on at least one of .* got \{\}/],
    ['an empty source list', { eventPattern: { source: [] } }, /eventSources\[0\].eventPattern.source must list at least one value when given, got \[\]/],
    ['a bad rule name', { eventPattern: pattern, ruleName: 'no spaces allowed' }, /eventSources\[0\].ruleName must be 1-64 characters .* got 'no spaces allowed'/],
    ['186 retries', { eventPattern: pattern, retryAttempts: 186 }, /eventSources\[0\].retryAttempts must be an integer between 0 and 185, got 186/],
    ['an event age of 30 s', { eventPattern: pattern, maxEventAge: Duration.seconds(30) }, /eventSources\[0\].maxEventAge must be between 1 minute and 1 day, got 30 seconds/],
  ];
  test.each(cases)('rejects %s', (_name, props, message) => {
    expect(() => new EventDrivenMicroservice(newStack(), 'Svc', minimalServiceProps({ eventSources: [EventSource.eventBridge(props)] }))).toThrow(message);
  });

  test('names the position of the bad source', () => {
    const sources = [EventSource.eventBridge({ eventPattern: pattern }), EventSource.eventBridge({ eventPattern: {} })];
    expect(() => new EventDrivenMicroservice(newStack(), 'Svc', minimalServiceProps({ eventSources: sources }))).toThrow(/^eventSources\[1\].eventPattern/);
  });
});
