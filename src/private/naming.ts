import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Where the L1 resources of queues, topics, streams, tables and buses keep a given name. */
const PHYSICAL_NAME_PROPS = ['queueName', 'topicName', 'name', 'tableName'];

/**
 * A readable name for a resource in descriptions: its name when known at synth (given, or set
 * on its CloudFormation resource), else its construct path.
 */
export function describeResource(resource: IConstruct, name: string): string {
  if (!Token.isUnresolved(name)) return name;
  const cfn = resource.node.defaultChild as Record<string, unknown> | undefined;
  for (const prop of PHYSICAL_NAME_PROPS) {
    const value = cfn?.[prop];
    if (typeof value === 'string' && !Token.isUnresolved(value)) return value;
  }
  return resource.node.path;
}
