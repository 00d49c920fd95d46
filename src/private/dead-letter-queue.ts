import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag';

/** How long a dead letter keeps, the SQS maximum: time for a person to look at it. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * Every dead-letter queue the construct creates is made here: encrypted (SSE-SQS, which
 * EventBridge, SNS and Lambda can all send to without a key policy), SSL enforced, kept 14 days,
 * FIFO when the queue it serves is FIFO.
 */
export function createDeadLetterQueue(scope: Construct, id: string, options: { fifo?: boolean } = {}): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    // A FIFO queue's dead-letter queue must be FIFO too.
    fifo: options.fifo || undefined,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: DEAD_LETTER_RETENTION,
  });
  // A dead-letter queue is the end of the line: giving it a DLQ of its own would only move the
  // question. The rules cannot tell a Lambda or EventBridge DLQ from a work queue.
  acknowledgeNag(queue, 'AwsSolutions::AwsSolutions-SQS3', 'This queue is itself a dead-letter queue (of a Lambda function, an EventBridge target or a subscription).');
  acknowledgeNag(queue, 'Serverless::Serverless-SQSRedrivePolicy', 'This queue is itself a dead-letter queue; a redrive policy on it would need another DLQ behind it.');
  return queue;
}
