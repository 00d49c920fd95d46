import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on one construct, with the reason the rule cannot be met.
 * Done inside the library so that users of the construct get a clean report without work of
 * their own. `id` is the exact finding, e.g. `AwsSolutions::AwsSolutions-IAM5[Resource::*]` (pack::rule, as the report prints it).
 */
export function acknowledgeNag(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}
