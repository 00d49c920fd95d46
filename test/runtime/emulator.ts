import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startMoto, type Moto } from './moto';
import { emulatorClient } from './tables';

export interface Emulator {
  readonly moto: Moto;
  /** A DynamoDB client on the emulator, for the tests' own reads and writes. */
  readonly ddb: DynamoDBClient;
}

let savedEnv: NodeJS.ProcessEnv | undefined;
let running: Emulator | undefined;

/**
 * Starts the emulator for one test file and points the AWS SDK (`AWS_ENDPOINT_URL`, dummy
 * credentials) and Powertools at it, as the construct's environment would on Lambda.
 * `stopEmulator` stops it and restores the environment.
 */
export async function startEmulator(): Promise<Emulator> {
  const moto = await startMoto();
  savedEnv = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    SERVICE_NAME: 'test-service',
    POWERTOOLS_SERVICE_NAME: 'test-service',
    POWERTOOLS_METRICS_NAMESPACE: 'TestService',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
  running = { moto, ddb: emulatorClient(moto.endpoint) };
  return running;
}

export async function stopEmulator(): Promise<void> {
  running?.ddb.destroy();
  await running?.moto.stop();
  running = undefined;
  if (savedEnv) process.env = savedEnv;
}
