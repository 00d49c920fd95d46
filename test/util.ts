import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { EventDrivenMicroserviceProps, EventSource } from '../src';

/** A stack in an app that fails synth on CloudFormation schema and default-rule findings. */
export function newStack(id = 'Test'): Stack {
  const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  return new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
}

/** Builds something in a fresh stack and returns the stack's template and annotations. */
export function synth(build: (scope: Construct) => void): { template: Template; annotations: Annotations; stack: Stack } {
  const stack = newStack();
  build(stack);
  return { template: Template.fromStack(stack), annotations: Annotations.fromStack(stack), stack };
}

/** The least a service needs: one EventBridge source, the built-in handler, default store. */
export function minimalServiceProps(overrides: Partial<EventDrivenMicroserviceProps> = {}): EventDrivenMicroserviceProps {
  return {
    serviceName: 'test-service',
    eventSources: [EventSource.eventBridge({ eventPattern: { source: ['test.source'] } })],
    commandHandler: {},
    eventStore: {},
    ...overrides,
  };
}
