import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** The service name the construct sets on every function. */
function serviceName(): string | undefined {
  return process.env.POWERTOOLS_SERVICE_NAME ?? process.env.SERVICE_NAME;
}

/** A Powertools logger for a built-in handler, configured from the construct's environment. */
export function createLogger(): Logger {
  return new Logger({ serviceName: serviceName() });
}

/** Powertools metrics (EMF) in the namespace the construct sets, with the service dimension. */
export function createMetrics(): Metrics {
  return new Metrics({ serviceName: serviceName(), namespace: process.env.POWERTOOLS_METRICS_NAMESPACE });
}
