import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { EventDrivenMicroservice, HandlerProps } from '../src';
import { minimalServiceProps, newStack, synth } from './util';

/** A service whose only function is the command handler (no domain-event pipe and its role). */
function serviceWith(commandHandler: HandlerProps) {
  return synth((scope) => new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({ commandHandler, domainEvents: { enabled: false } })));
}

describe('handler factory defaults (built-in command handler)', () => {
  let template: Template;
  beforeAll(() => ({ template } = serviceWith({})));

  test('arm64, the newest Node.js runtime, X-Ray, JSON logs, 60 s and 512 MB', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x', // the newest aws-cdk-lib 2.275 knows
      Handler: 'index.handler',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: Match.anyValue() },
      Timeout: 60,
      MemorySize: 512,
    });
  });

  test('own role and a log group with one month retention, written only by that role', () => {
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    const role = Object.values(template.findResources('AWS::IAM::Role'))[0];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const logStatement = statements.find((s: any) => ([] as string[]).concat(s.Action).includes('logs:PutLogEvents'));
    expect(logStatement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^SvcCommandHandlerLogs/), 'Arn'] });
  });

  test('the service environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          SERVICE_NAME: 'test-service',
          EVENT_STORE_TABLE: { Ref: Match.stringLikeRegexp('EventStoreEvents') },
          COMMAND_TABLE: { Ref: Match.stringLikeRegexp('EventStoreCommands') },
          SNAPSHOT_TABLE: { Ref: Match.stringLikeRegexp('EventStoreSnapshots') },
          SNAPSHOT_FREQUENCY: '100',
          POWERTOOLS_SERVICE_NAME: 'test-service',
          POWERTOOLS_METRICS_NAMESPACE: 'EventDrivenMicroservice',
        },
      },
    });
  });
});

describe('handler factory with options', () => {
  test('user code, runtime, handler, timeout, memory, env, layers, concurrency, architecture, retention', () => {
    const { template } = synth((scope) => {
      const layer = lambda.LayerVersion.fromLayerVersionArn(scope, 'Layer', 'arn:aws:lambda:eu-west-1:123456789012:layer:sdk:3');
      new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({
        commandHandler: {
          code: lambda.Code.fromInline('def handler(event, context):\n  return {}'),
          runtime: lambda.Runtime.PYTHON_3_13,
          handler: 'index.handler',
          timeout: Duration.seconds(120),
          memorySize: 1024,
          environment: { PAYMENT_GATEWAY: 'stripe' },
          layers: [layer],
          reservedConcurrentExecutions: 100,
          architecture: lambda.Architecture.X86_64,
          logRetention: logs.RetentionDays.ONE_YEAR,
        },
      }));
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'python3.13',
      Handler: 'index.handler',
      Timeout: 120,
      MemorySize: 1024,
      Layers: ['arn:aws:lambda:eu-west-1:123456789012:layer:sdk:3'],
      ReservedConcurrentExecutions: 100,
      Architectures: ['x86_64'],
      Environment: { Variables: Match.objectLike({ PAYMENT_GATEWAY: 'stripe', SERVICE_NAME: 'test-service' }) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  test('a deprecated runtime is accepted with a warning', () => {
    const { template, annotations } = serviceWith({
      code: lambda.Code.fromInline('def handler(e, c): pass'),
      runtime: lambda.Runtime.PYTHON_3_9,
      handler: 'handlers.command_handler',
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'python3.9' });
    annotations.hasWarning('*', Match.stringLikeRegexp('commandHandler.runtime python3.9 was deprecated by AWS Lambda on 2025-12-15'));
  });

  test('a supported runtime has no warning', () => {
    const { annotations } = serviceWith({});
    expect(annotations.findWarning('*', Match.stringLikeRegexp('deprecated'))).toHaveLength(0);
  });

  test('in a VPC: subnets, security groups and ENI permissions', () => {
    const { template } = synth((scope) => {
      const vpc = new ec2.Vpc(scope, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const sg = new ec2.SecurityGroup(scope, 'Sg', { vpc });
      new EventDrivenMicroservice(scope, 'Svc', minimalServiceProps({ vpc, securityGroups: [sg], vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }));
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Sg'), 'GroupId'] }], SubnetIds: [{ Ref: Match.stringLikeRegexp('^VpcprivateSubnet1') }, { Ref: Match.stringLikeRegexp('^VpcprivateSubnet2') }] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AWSLambdaVPCAccessExecutionRole')])] }],
    });
  });
});

describe('handler factory validation', () => {
  const code = lambda.Code.fromInline('x');
  const cases: Array<[string, HandlerProps, RegExp]> = [
    ['memory 64', { memorySize: 64 }, /commandHandler.memorySize must be an integer between 128 and 10240 MB, got 64/],
    ['memory 20000', { memorySize: 20000 }, /commandHandler.memorySize must be an integer between 128 and 10240 MB, got 20000/],
    ['timeout 0', { timeout: Duration.seconds(0) }, /commandHandler.timeout must be between 1 second and 15 minutes, got 0 seconds/],
    ['timeout 16 min', { timeout: Duration.minutes(16) }, /commandHandler.timeout must be between 1 second and 15 minutes, got 16 minutes/],
    ['timeout 1.5 s', { timeout: Duration.millis(1500) }, /commandHandler.timeout must be a whole number of seconds, got 1 second 500 millis/],
    ['negative reserved concurrency', { reservedConcurrentExecutions: -1 }, /commandHandler.reservedConcurrentExecutions must be an integer between 0 and 1000000, got -1/],
    ['code without runtime', { code, handler: 'index.handler' }, /commandHandler.runtime is required \(a lambda.Runtime is needed with code\)/],
    ['code without handler', { code, runtime: lambda.Runtime.PYTHON_3_13 }, /commandHandler.handler is required/],
    ['runtime without code', { runtime: lambda.Runtime.PYTHON_3_9 }, /commandHandler.runtime is only used together with commandHandler.code, got runtime 'python3.9' without code/],
    ['handler without code', { handler: 'x.y' }, /commandHandler.handler is only used together with commandHandler.code, got handler 'x.y'/],
    ['a reserved variable', { environment: { AWS_REGION: 'x' } }, /commandHandler.environment.AWS_REGION is reserved by AWS Lambda/],
    ['overriding a service variable', { environment: { EVENT_STORE_TABLE: 'x' } }, /commandHandler.environment.EVENT_STORE_TABLE is set by the construct/],
  ];
  test.each(cases)('rejects %s', (_name, commandHandler, message) => {
    expect(() => new EventDrivenMicroservice(newStack(), 'Svc', minimalServiceProps({ commandHandler }))).toThrow(message);
  });
});
