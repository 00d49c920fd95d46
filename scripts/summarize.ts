// Synthesizes an example app and prints what it made: resources by type, and for each
// EventDrivenMicroservice its sources, patterns and monitoring. Used by `npx projen synth:order`.
//   ts-node --project scripts/tsconfig.json scripts/summarize.ts examples/order-service.ts [outdir]
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { EventDrivenMicroservice } from '../src';

function main(): void {
  const [examplePath, outdir = 'cdk.out'] = process.argv.slice(2);
  if (!examplePath) throw new Error('usage: summarize.ts <example.ts> [outdir]');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the example is chosen at run time
  const example = require(path.resolve(examplePath));
  const stackClasses = Object.values(example).filter(
    (value): value is new (scope: App, id: string) => Stack => typeof value === 'function' && value.prototype instanceof Stack,
  );
  if (stackClasses.length === 0) throw new Error(`${examplePath} exports no Stack class`);

  const app = new App({ outdir });
  const stacks = stackClasses.map((StackClass) => new StackClass(app, StackClass.name.replace(/Stack$/, '')));
  const started = process.hrtime.bigint();
  const assembly = app.synth();
  const synthMs = Number(process.hrtime.bigint() - started) / 1e6;

  for (const stack of stacks) {
    const template = assembly.getStackByName(stack.stackName).template;
    const counts = new Map<string, number>();
    for (const resource of Object.values<any>(template.Resources)) {
      counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);
    }
    console.log(`Stack ${stack.stackName}: ${[...counts.values()].reduce((a, b) => a + b, 0)} resources`);
    console.log(`  template: ${path.join(assembly.directory, stack.templateFile)}`);
    for (const [type, count] of [...counts.entries()].sort()) console.log(`  ${String(count).padStart(3)}  ${type}`);
    for (const service of findServices(stack)) {
      console.log(`Service ${service.serviceName} (${service.node.path})`);
      console.log(`  event sources:       ${service.eventSources.join('\n                       ')}`);
      console.log(`  patterns:            ${service.patternsEnabled.join(', ')}`);
      console.log(`  monitoring:          ${service.monitoringFeatures.join(', ')}`);
      console.log(`  dead-letter queues:  ${service.deadLetterQueues.length}`);
    }
  }
  console.log(`Synthesized in ${synthMs.toFixed(0)} ms into ${assembly.directory}`);
}

function findServices(root: IConstruct): EventDrivenMicroservice[] {
  return root.node.findAll().filter((c): c is EventDrivenMicroservice => c instanceof EventDrivenMicroservice);
}

main();
