import { Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { EventBridgeSourceProps } from '../../event-source';
import { EventSourceContext, SourceBinder, sourceProp } from '../event-source-context';
import { describeResource } from '../naming';
import { show, validateDurationRange, validateIntegerRange } from '../validation';

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const PATTERN_FIELDS: Array<keyof events.EventPattern> = ['version', 'id', 'detailType', 'source', 'account', 'time', 'region', 'resources', 'detail'];

/** An EventBridge rule whose target is the handler, with retry policy and target DLQ. */
export class EventBridgeBinder implements SourceBinder {
  constructor(private readonly props: EventBridgeSourceProps) {}

  public bind(scope: Construct, context: EventSourceContext): string {
    this.validate(sourceProp(context));
    const deadLetterQueue = context.createDeadLetterQueue(scope, 'DeadLetterQueue');
    const rule = new events.Rule(scope, 'Rule', {
      eventBus: this.props.eventBus,
      eventPattern: this.props.eventPattern,
      ruleName: this.props.ruleName,
      description: this.props.description ?? `Commands for ${context.serviceName}`,
    });
    rule.addTarget(new targets.LambdaFunction(context.handler, {
      deadLetterQueue,
      retryAttempts: this.props.retryAttempts ?? 185,
      maxEventAge: this.props.maxEventAge ?? Duration.hours(24),
    }));
    const bus = this.props.eventBus ? `bus ${describeResource(this.props.eventBus, this.props.eventBus.eventBusName)}` : 'default bus';
    const pattern = this.props.eventPattern;
    const fields = PATTERN_FIELDS
      .filter((field) => pattern[field] !== undefined)
      .map((field) => `${field}=${JSON.stringify(pattern[field])}`);
    return `${bus}, ${fields.join(', ')}`;
  }

  private validate(prop: string): void {
    const pattern = this.props.eventPattern as events.EventPattern | undefined;
    if (!pattern || PATTERN_FIELDS.every((field) => pattern[field] === undefined)) {
      throw new Error(
        `${prop}.eventPattern must match on at least one of ${PATTERN_FIELDS.join(', ')} ` +
        `(an EventBridge rule without a pattern would receive nothing), got ${show(pattern)}`,
      );
    }
    for (const field of PATTERN_FIELDS) {
      const value = pattern[field];
      if (Array.isArray(value) && value.length === 0) {
        throw new Error(`${prop}.eventPattern.${field} must list at least one value when given, got []`);
      }
    }
    const ruleName = this.props.ruleName;
    if (ruleName !== undefined && !Token.isUnresolved(ruleName) && !RULE_NAME.test(ruleName)) {
      throw new Error(`${prop}.ruleName must be 1-64 characters of a-z, A-Z, 0-9, '.', '-', '_', got ${show(ruleName)}`);
    }
    validateIntegerRange(`${prop}.retryAttempts`, this.props.retryAttempts, 0, 185);
    validateDurationRange(`${prop}.maxEventAge`, this.props.maxEventAge, Duration.minutes(1), Duration.hours(24));
  }
}
