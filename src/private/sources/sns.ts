import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { SnsSourceProps } from '../../event-source';
import { EventSourceContext, SourceBinder, sourceProp } from '../event-source-context';
import { describeResource } from '../naming';
import { requireValue } from '../validation';

/** A Lambda subscription to a topic, with optional filter policy and a subscription DLQ. */
export class SnsBinder implements SourceBinder {
  constructor(private readonly topic: sns.ITopic, private readonly props: SnsSourceProps) {}

  public bind(scope: Construct, context: EventSourceContext): string {
    const prop = sourceProp(context);
    const topic = requireValue(`${prop}.topic`, this.topic, 'an sns.ITopic');
    if (topic.fifo) {
      throw new Error(`${prop}.topic ${describeResource(topic, topic.topicName)} is a FIFO topic, which cannot deliver to Lambda: ` +
        'subscribe an SQS FIFO queue to it and use EventSource.sqs(queue)');
    }
    if (this.props.filterPolicy && this.props.filterPolicyWithMessageBody) {
      throw new Error(`${prop}: filterPolicy and filterPolicyWithMessageBody cannot both be set (SNS applies one scope), got both`);
    }
    const deadLetterQueue = context.createDeadLetterQueue(scope, 'DeadLetterQueue');
    topic.addSubscription(new subscriptions.LambdaSubscription(context.handler, {
      filterPolicy: this.props.filterPolicy,
      filterPolicyWithMessageBody: this.props.filterPolicyWithMessageBody,
      deadLetterQueue,
    }));
    const filter = this.props.filterPolicy ?? this.props.filterPolicyWithMessageBody;
    const details = [
      ...(filter ? [`filtered on ${Object.keys(filter).join(', ')}`] : []),
      deadLetterQueue ? 'subscription DLQ' : 'no DLQ',
    ];
    return `topic ${describeResource(topic, topic.topicName)} (${details.join(', ')})`;
  }
}
