import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ApiAuthorization, EventDrivenMicroservice, EventDrivenMicroserviceProps } from '../src';
import { minimalServiceProps, newStack, synth } from './util';

function service(overrides: Partial<EventDrivenMicroserviceProps>) {
  let svc!: EventDrivenMicroservice;
  const result = synth((scope) => { svc = new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps(overrides)); });
  return { ...result, service: svc };
}

/** Actions granted to one function's role. */
function roleActions(template: Template, rolePrefix: string): Set<string> {
  return new Set(Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(rolePrefix))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [].concat(s.Action))));
}

describe('cqrs enabled with the built-in projector and query handler', () => {
  let template: Template;
  let svc: EventDrivenMicroservice;
  beforeAll(() => {
    ({ template, service: svc } = service({
      eventStore: { tableName: 'inventory-events' },
      cqrs: { enabled: true, commandTableName: 'inventory-commands', queryTableName: 'inventory-projections', eventualConsistencyWindow: Duration.millis(500) },
      apiGatewayEnabled: true,
    }));
  });

  test('the query table is keyed by id and kept like the event store', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: 'inventory-projections',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'inventory-commands', KeySchema: [{ AttributeName: 'commandId', KeyType: 'HASH' }] });
  });

  test('the projector reads appended events from the stream with failure handling and no window under 2 s', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^SvcEventProcessor') },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SvcEventStoreEvents'), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SvcEventProcessorStreamDeadLetterQueue'), 'Arn'] } } },
    });
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: Match.stringLikeRegexp('^SvcEventProcessor') } },
    }))[0];
    expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBeUndefined();
  });

  test('a lag alarm at the consistency window', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge', Namespace: 'AWS/Lambda', Statistic: 'Maximum', Threshold: 500, ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(svc.projectionLagAlarm).toBeDefined();
    expect(svc.monitoringFeatures).toContain('Projection Lag Alarm (500 millis)');
  });

  test('the query handler reads only the query table', () => {
    const actions = roleActions(template, 'SvcQueryHandlerRole');
    expect(actions).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'kms:Decrypt', 'kms:DescribeKey',
      'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('SvcQueryHandlerRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const tableRefs = JSON.stringify(statements.filter((s: any) => [].concat(s.Action).some((a: string) => a.startsWith('dynamodb:'))));
    expect(tableRefs).toMatch(/SvcCqrsQuery/);
    expect(tableRefs).not.toMatch(/SvcEventStore/);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ QUERY_TABLE: { Ref: Match.stringLikeRegexp('^SvcCqrsQuery') } }) },
    });
  });

  test('the projector can write projections but not append events', () => {
    const actions = roleActions(template, 'SvcEventProcessorRole');
    expect([...actions]).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetRecords']));
    expect([...actions]).not.toContain('dynamodb:ConditionCheckItem');
  });

  test('a REST API with the command and query routes, IAM auth, validation, access logs and throttling', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST', AuthorizationType: 'AWS_IAM', RequestValidatorId: Match.anyValue(), RequestModels: { 'application/json': Match.anyValue() },
    });
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'AWS_IAM' }, 2);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{id}' });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ required: ['commandId', 'streamId'] }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      TracingEnabled: true,
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })],
    });
    expect(svc.apiUrl).toBeDefined();
    expect(svc.patternsEnabled).toEqual(expect.arrayContaining(['CQRS', 'Projections', 'REST API']));
    expect(svc.queryHandlerArn).toBeDefined();
    expect(svc.eventProcessorArn).toBeDefined();
  });
});

describe('read side variants', () => {
  test('a 10 s consistency window batches for 5 s', () => {
    const { template } = service({ cqrs: { eventualConsistencyWindow: Duration.seconds(10) } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumBatchingWindowInSeconds: 5 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 10000 });
  });

  test('an event processor without cqrs is wired to the stream with user code and no query side', () => {
    const { template, service: svc } = service({
      eventProcessor: { code: lambda.Code.fromInline('def h(e, c): pass'), runtime: lambda.Runtime.PYTHON_3_13, handler: 'payment.process_events' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'payment.process_events', Runtime: 'python3.13' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: { Ref: Match.stringLikeRegexp('^SvcEventProcessor') } });
    expect(svc.queryHandler).toBeUndefined();
    expect(svc.cqrsTables).toBeUndefined();
    expect(svc.patternsEnabled).toContain('Event Processing');
  });

  test('projections off: no projector', () => {
    const { service: svc } = service({ cqrs: { projectionEnabled: false } });
    expect(svc.eventProcessor).toBeUndefined();
    expect(svc.queryHandler).toBeDefined();
  });

  test('API without auth is a warning; an existing API gets the routes', () => {
    const open = service({ apiGatewayEnabled: true, apiAuthorization: ApiAuthorization.NONE });
    open.template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'NONE' });
    open.annotations.hasWarning('*', Match.stringLikeRegexp('apiAuthorization is NONE'));

    const { template } = synth((scope) => {
      const api = new apigateway.RestApi(scope, 'Existing', { deploy: false });
      api.root.addMethod('ANY');
      new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({ apiGateway: api, cqrs: {} }));
    });
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'commands', RestApiId: { Ref: Match.stringLikeRegexp('^Existing') } });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'queries' });
  });

  test('domain events go through a pipe to the service bus, or to a given bus, or nowhere', () => {
    const { template } = service({});
    template.hasResourceProperties('AWS::Pipes::Pipe', {
      Source: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SvcEventStoreEvents'), 'StreamArn'] },
      Target: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SvcDomainEventsBus'), 'Arn'] },
      SourceParameters: Match.objectLike({
        DynamoDBStreamParameters: Match.objectLike({ StartingPosition: 'TRIM_HORIZON', BatchSize: 10, DeadLetterConfig: { Arn: Match.anyValue() } }),
        FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
      }),
      TargetParameters: { EventBridgeEventBusParameters: { Source: 'test-service', DetailType: '$.dynamodb.NewImage.eventType.S' } },
    });

    const given = synth((scope) => {
      const bus = new events.EventBus(scope, 'Shared');
      new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({ domainEvents: { eventBus: bus } }));
    });
    given.template.resourceCountIs('AWS::Events::EventBus', 1);
    given.template.hasResourceProperties('AWS::Pipes::Pipe', { Target: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Shared'), 'Arn'] } });

    service({ eventStore: { streamEnabled: false } }).template.resourceCountIs('AWS::Pipes::Pipe', 0);
    service({ domainEvents: { enabled: false } }).template.resourceCountIs('AWS::Pipes::Pipe', 0);
  });
});

describe('read side validation', () => {
  const code = { code: lambda.Code.fromInline('x'), runtime: lambda.Runtime.PYTHON_3_13, handler: 'a.b' };
  const cases: Array<[string, Partial<EventDrivenMicroserviceProps>, RegExp]> = [
    ['equal table names', { eventStore: { tableName: 'same' }, cqrs: { queryTableName: 'same' } }, /table names must differ, got 'same'/],
    ['command table named twice', { eventStore: { commandTableName: 'a-cmd' }, cqrs: { commandTableName: 'b-cmd' } }, /cqrs.commandTableName and eventStore.commandTableName both name the command table/],
    ['a query handler without cqrs', { queryHandler: {} }, /queryHandler reads the query table of the read side, got no cqrs/],
    ['cqrs fields with cqrs disabled', { cqrs: { enabled: false, queryTableName: 'q-table' } }, /cqrs.queryTableName only applies with cqrs.enabled, got cqrs.enabled false/],
    ['projections off with an event processor', { cqrs: { projectionEnabled: false }, eventProcessor: code }, /cqrs.projectionEnabled false turns the projector off, got an eventProcessor too/],
    ['a 50 ms window', { cqrs: { eventualConsistencyWindow: Duration.millis(50) } }, /cqrs.eventualConsistencyWindow must be between 100 millis and 1 day, got 50 millis/],
    ['an API given with the API disabled', { apiGatewayEnabled: false, apiGateway: {} as apigateway.IRestApi }, /apiGateway is only used with apiGatewayEnabled, got apiGatewayEnabled false/],
    ['authorization without an API', { apiAuthorization: ApiAuthorization.IAM }, /apiAuthorization only applies with apiGatewayEnabled, got IAM and no API/],
    ['a projector without a stream', { eventStore: { streamEnabled: false }, cqrs: {} }, /cqrs.projectionEnabled reads the event store's stream, got eventStore.streamEnabled false/],
    ['an event processor without a stream', { eventStore: { streamEnabled: false }, eventProcessor: code }, /eventProcessor reads the event store's stream, got eventStore.streamEnabled false/],
    ['domain events without a stream', { eventStore: { streamEnabled: false }, domainEvents: { enabled: true } }, /domainEvents publishes from the event store's stream, got eventStore.streamEnabled false/],
    ['a bad query table name', { cqrs: { queryTableName: 'no spaces' } }, /cqrs.queryTableName must be 3-255 characters .* got 'no spaces'/],
  ];
  test.each(cases)('rejects %s', (_name, overrides, message) => {
    expect(() => new EventDrivenMicroservice(newStack(), 'Svc', minimalServiceProps(overrides))).toThrow(message);
  });
});
