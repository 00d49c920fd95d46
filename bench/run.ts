// All benchmarks, printed as figures and ratios against baselines measured in the same run
// (`npx projen bench`). Nothing here asserts: speed is reported, never tested.
import * as fs from 'fs';
import { benchBundles } from './bundles';
import { benchSynth } from './synth';

async function main(): Promise<void> {
  console.log('== Lambda bundles (size, cold module load) ==');
  await benchBundles();
  console.log('\n== Synth time ==');
  const synth = benchSynth();
  console.log(`order-service: ${synth.constructMs.toFixed(0)} ms vs the same resources written with aws-cdk-lib ${synth.baselineMs.toFixed(0)} ms ` +
    `(${synth.ratio.toFixed(2)}x), median of 9`);
  // The projector benchmark needs the emulator; it runs when its module is present.
  if (fs.existsSync(`${__dirname}/projector.ts`)) {
    console.log('\n== Projector throughput (moto) ==');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional module
    await require('./projector').benchProjector();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
