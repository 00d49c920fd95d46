import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HandlerProps } from '../handler';
import { acknowledgeNag } from './nag';
import { runtimeDeprecationDate } from './runtimes';
import { requireValue, validateDurationRange, validateIntegerRange, show } from './validation';

/**
 * The built-in handlers run on the newest Node.js runtime that the installed aws-cdk-lib knows
 * (they are bundled for Node.js 22 and later), so a newer aws-cdk-lib moves them forward.
 */
const BUILT_IN_RUNTIME: lambda.Runtime = ['NODEJS_26_X', 'NODEJS_24_X', 'NODEJS_22_X']
  .map((name) => (lambda.Runtime as unknown as Record<string, lambda.Runtime | undefined>)[name])
  .find((runtime): runtime is lambda.Runtime => runtime !== undefined)!;

/** Where the built-in handlers are bundled to at build time (shipped in the npm package). */
const ASSETS_DIR = path.join(__dirname, '..', '..', 'assets', 'handlers');

/**
 * Variables the Lambda runtime reserves (Lambda rejects functions that set them).
 */
const LAMBDA_RESERVED_VARIABLES = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

/** What the factory needs besides the user's `HandlerProps`. */
export interface ServiceFunctionOptions {
  /** The prop path used in error messages, e.g. `commandHandler`. */
  readonly prop: string;
  /** The user's configuration. */
  readonly handlerProps: HandlerProps;
  /** Folder name of the built-in handler in `lambda-templates/`. */
  readonly builtInHandler: string;
  /** What the function does, for its description. */
  readonly purpose: string;
  /** The service's variables, set on every function. */
  readonly environment: { [key: string]: string };
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Queue for failed asynchronous invocations (after Lambda's own two retries). */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * The one place Lambda functions of the service are made, so every function gets the same
 * defaults: its own role with only what it is granted, a log group with retention, X-Ray,
 * arm64, JSON logs and the service's environment.
 */
export function createServiceFunction(scope: Construct, id: string, options: ServiceFunctionOptions): lambda.Function {
  const props = options.handlerProps;
  validateHandlerProps(options.prop, props);
  const { code, runtime, handler } = resolveCode(options.prop, options.builtInHandler, props);
  if (runtimeDeprecationDate(runtime.name)) {
    Annotations.of(scope).addWarningV2(
      'cdk-event-driven-microservice:deprecatedRuntime',
      `${options.prop}.runtime ${runtime.name} was deprecated by AWS Lambda on ${runtimeDeprecationDate(runtime.name)}: ` +
      'it gets no security patches and new functions on it will be blocked; move to a supported runtime',
    );
  }
  for (const key of Object.keys(props.environment ?? {})) {
    if (LAMBDA_RESERVED_VARIABLES.has(key)) {
      throw new Error(`${options.prop}.environment.${key} is reserved by AWS Lambda and cannot be set`);
    }
    if (key in options.environment) {
      throw new Error(`${options.prop}.environment.${key} is set by the construct (${show(options.environment[key])}) and cannot be overridden`);
    }
  }

  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `${options.purpose} of ${options.environment.SERVICE_NAME}`,
  });
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
  });
  const fn = new lambda.Function(scope, id, {
    code,
    runtime,
    handler,
    role,
    logGroup,
    description: props.description ?? `${options.purpose} of ${options.environment.SERVICE_NAME}`,
    timeout: props.timeout ?? Duration.seconds(60),
    memorySize: props.memorySize ?? 512,
    architecture: props.architecture ?? lambda.Architecture.ARM_64,
    layers: props.layers,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    environment: { ...options.environment, ...props.environment },
    tracing: lambda.Tracing.ACTIVE,
    loggingFormat: lambda.LoggingFormat.JSON,
    vpc: options.vpc,
    vpcSubnets: options.vpc ? options.vpcSubnets : undefined,
    securityGroups: options.securityGroups,
    deadLetterQueue: options.deadLetterQueue,
  });
  // The role is ours, so CDK does not attach the log permissions: grant exactly this log group.
  logGroup.grantWrite(role);
  if (options.vpc) {
    // ENI management in a VPC: AWS's own policy for it is the least privilege there is.
    role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
    acknowledgeNag(role, 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'Lambda in a VPC needs to create and delete its network interfaces; this AWS managed policy grants only that.');
  }
  // X-Ray's PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.
  acknowledgeNag(role, 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions (the only wildcard resource in this role).');
  return fn;
}

function resolveCode(prop: string, builtInHandler: string, props: HandlerProps): { code: lambda.Code; runtime: lambda.Runtime; handler: string } {
  if (props.code) {
    const runtime = requireValue(`${prop}.runtime`, props.runtime, 'a lambda.Runtime is needed with code');
    const handler = requireValue(`${prop}.handler`, props.handler, "the entry point ('file.function') is needed with code");
    if (!Token.isUnresolved(handler) && handler.trim() === '') {
      throw new Error(`${prop}.handler must be a non-empty entry point such as 'index.handler', got ''`);
    }
    return { code: props.code, runtime, handler };
  }
  for (const [field, value] of [['runtime', props.runtime?.name], ['handler', props.handler]] as const) {
    if (value !== undefined) {
      throw new Error(
        `${prop}.${field} is only used together with ${prop}.code, got ${field} ${show(value)} without code: ` +
        `give code, or drop ${field} to use the built-in handler (${BUILT_IN_RUNTIME.name})`,
      );
    }
  }
  const assetDir = path.join(ASSETS_DIR, builtInHandler);
  if (!fs.existsSync(path.join(assetDir, 'index.js'))) {
    throw new Error(`The built-in ${builtInHandler} is missing from ${assetDir}: run 'npx projen bundle' (a packaging error if you installed from npm)`);
  }
  return { code: lambda.Code.fromAsset(assetDir), runtime: BUILT_IN_RUNTIME, handler: 'index.handler' };
}

function validateHandlerProps(prop: string, props: HandlerProps): void {
  validateIntegerRange(`${prop}.memorySize`, props.memorySize, 128, 10240, 'MB');
  validateDurationRange(`${prop}.timeout`, props.timeout, Duration.seconds(1), Duration.minutes(15));
  if (props.timeout && !props.timeout.isUnresolved() && props.timeout.toMilliseconds() % 1000 !== 0) {
    throw new Error(`${prop}.timeout must be a whole number of seconds, got ${props.timeout.toHumanString()}`);
  }
  validateIntegerRange(`${prop}.reservedConcurrentExecutions`, props.reservedConcurrentExecutions, 0, 1_000_000);
}
