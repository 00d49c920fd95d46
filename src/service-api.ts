import { Annotations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeNag } from './private/nag';

/** How callers of the service's API authenticate. */
export enum ApiAuthorization {
  /** AWS IAM (SigV4-signed requests): callers need `execute-api:Invoke` on the method. */
  IAM = 'IAM',
  /** No authorization: anyone who knows the URL can send commands. Synthesizes with a warning. */
  NONE = 'NONE',
}

/** Props of `ServiceApi`. */
export interface ServiceApiProps {
  /** Name of the service, for the API's name. */
  readonly serviceName: string;
  /** Receives `POST /commands`. */
  readonly commandHandler: lambda.IFunction;
  /**
   * Receives `GET /queries` and `GET /queries/{id}`.
   * @default - no query routes
   */
  readonly queryHandler?: lambda.IFunction;
  /**
   * An existing REST API to add the routes to. Its stages, logging and throttling stay yours.
   * @default - a REST API is created, with access logging, X-Ray and throttling
   */
  readonly restApi?: apigateway.IRestApi;
  /**
   * Authorization of every route.
   * @default ApiAuthorization.IAM
   */
  readonly authorization?: ApiAuthorization;
  /**
   * Steady-state requests per second of the created API's stage.
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of the created API's stage.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
}

/** JSON schema of the command envelope (DESIGN §4), checked by API Gateway before Lambda runs. */
const COMMAND_SCHEMA: apigateway.JsonSchema = {
  schema: apigateway.JsonSchemaVersion.DRAFT4,
  title: 'Command',
  type: apigateway.JsonSchemaType.OBJECT,
  required: ['commandId', 'streamId'],
  properties: {
    commandId: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: 256 },
    streamId: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: 1024 },
    type: { type: apigateway.JsonSchemaType.STRING, minLength: 1 },
    data: { type: apigateway.JsonSchemaType.OBJECT },
    expectedVersion: { type: apigateway.JsonSchemaType.INTEGER, minimum: 0 },
    metadata: { type: apigateway.JsonSchemaType.OBJECT },
    events: { type: apigateway.JsonSchemaType.ARRAY, minItems: 1, maxItems: 99 },
  },
};

/**
 * The service's REST API: `POST /commands` to the command handler, `GET /queries/{id}` and
 * `GET /queries` to the query handler, IAM authorization by default, the command envelope
 * validated by API Gateway, and (on an API it creates) access logs, X-Ray and throttling.
 * The handlers map their distinct errors to 400, 404, 409 and 413.
 */
export class ServiceApi extends Construct {
  /** The REST API. */
  public readonly restApi: apigateway.IRestApi;
  /** The URL of the created API's stage (undefined for a given API). */
  public readonly url?: string;

  constructor(scope: Construct, id: string, props: ServiceApiProps) {
    super(scope, id);
    const authorization = props.authorization ?? ApiAuthorization.IAM;
    if (authorization === ApiAuthorization.NONE) {
      Annotations.of(this).addWarningV2('cdk-event-driven-microservice:apiWithoutAuth',
        'apiAuthorization is NONE: anyone who knows the URL can send commands and read projections');
    }
    if (props.restApi) {
      for (const field of ['throttlingRateLimit', 'throttlingBurstLimit'] as const) {
        if (props[field] !== undefined) throw new Error(`${field} applies to an API the construct creates, got ${props[field]} with an existing apiGateway`);
      }
    }
    const created = props.restApi ? undefined : this.createApi(props);
    const api: apigateway.IRestApi = props.restApi ?? created!;
    this.restApi = api;
    this.url = created?.url;

    const methodOptions: apigateway.MethodOptions = {
      authorizationType: authorization === ApiAuthorization.IAM ? apigateway.AuthorizationType.IAM : apigateway.AuthorizationType.NONE,
    };
    const commandModel = new apigateway.Model(this, 'CommandModel', { restApi: api, contentType: 'application/json', schema: COMMAND_SCHEMA });
    // One validator checks bodies against their model and the declared parameters on every route.
    const validator = new apigateway.RequestValidator(this, 'Validator', { restApi: api, validateRequestBody: true, validateRequestParameters: true });
    api.root.addResource('commands').addMethod('POST', new apigateway.LambdaIntegration(props.commandHandler), {
      ...methodOptions,
      requestModels: { 'application/json': commandModel },
      requestValidator: validator,
    });
    if (props.queryHandler) {
      const queries = api.root.addResource('queries');
      const integration = new apigateway.LambdaIntegration(props.queryHandler);
      queries.addMethod('GET', integration, {
        ...methodOptions,
        requestParameters: { 'method.request.querystring.limit': false, 'method.request.querystring.nextToken': false },
        requestValidator: validator,
      });
      queries.addResource('{id}').addMethod('GET', integration, {
        ...methodOptions,
        requestParameters: { 'method.request.path.id': true },
        requestValidator: validator,
      });
    }
    if (authorization === ApiAuthorization.IAM) {
      acknowledgeNag(this.restApi, 'AwsSolutions::AwsSolutions-COG4',
        'The API uses IAM (SigV4) authorization: callers are services and roles, not Cognito user-pool users.');
    }
  }

  private createApi(props: ServiceApiProps): apigateway.RestApi {
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const api = new apigateway.RestApi(this, 'Api', {
      restApiName: props.serviceName,
      description: `Commands and queries of ${props.serviceName}`,
      cloudWatchRole: true,
      deployOptions: {
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        tracingEnabled: true,
        metricsEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
      },
    });
    // API Gateway's account-level role for execution logs: AWS's managed policy is the scoped one.
    acknowledgeNag(api, 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'API Gateway writes execution logs through the account-level role with this AWS managed policy.');
    return api;
  }
}

