import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';

/** Configuration of one Lambda function of the service (command handler, query handler, ...). */
export interface HandlerProps {
  /**
   * Your handler's code. Without it the construct deploys its built-in handler for the role
   * (`lambda-templates/`), which implements the runtime contract of the README.
   * @default - the built-in handler for this role, on the newest Node.js runtime aws-cdk-lib knows
   */
  readonly code?: lambda.Code;
  /**
   * Runtime of your code. Required with `code`, not allowed without it.
   * @default - the newest Node.js runtime aws-cdk-lib knows (22 or later), for the built-in handler
   */
  readonly runtime?: lambda.Runtime;
  /**
   * Entry point of your code (`file.function`). Required with `code`, not allowed without it.
   * @default - `index.handler` for the built-in handler
   */
  readonly handler?: string;
  /**
   * Function timeout, 1 second to 15 minutes.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB, 128 to 10240.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Extra environment variables. The service's own variables (`SERVICE_NAME`,
   * `EVENT_STORE_TABLE`, ...) are set by the construct and cannot be overridden.
   * @default - none
   */
  readonly environment?: { [key: string]: string };
  /**
   * Lambda layers.
   * @default - none
   */
  readonly layers?: lambda.ILayerVersion[];
  /**
   * Reserved concurrent executions (0 stops the function).
   * @default - unreserved: the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Instruction set architecture.
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * How long the function's log group keeps logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Description of the function.
   * @default - the role of the function in the service
   */
  readonly description?: string;
}
