import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A readable name for a resource in descriptions: its name when known, else its path. */
export function describeResource(resource: IConstruct, name: string): string {
  return Token.isUnresolved(name) ? resource.node.path : name;
}
