import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';

/** How every table of the service is kept: the event store decides, the read side follows. */
export interface TableDefaults {
  readonly encryptionKey?: kms.IKey;
  readonly pointInTimeRecovery: boolean;
  readonly removalPolicy: RemovalPolicy;
}

/** The props every table of the service shares: on-demand, encrypted, PITR, removal policy. */
export function serviceTableProps(defaults: TableDefaults): Partial<dynamodb.TableProps> {
  return {
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: defaults.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.DEFAULT,
    encryptionKey: defaults.encryptionKey,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: defaults.pointInTimeRecovery },
    removalPolicy: defaults.removalPolicy,
  };
}

/** Key permissions to read items of a table encrypted with a customer-managed key. */
export const KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
/** Key permissions to write items too: exactly what DynamoDB asks of the caller, no wildcards. */
export const KEY_WRITE_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];
