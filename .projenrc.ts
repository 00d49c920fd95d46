import { awscdk, javascript, JsonFile } from 'projen';

// Minimum aws-cdk-lib, and the version we test with in TypeScript and Python: cdk-nag 3 and the
// `Validations` API (used to acknowledge findings inside the library) need >= 2.257, and 2.275
// is the newest release published to both npm and PyPI as seen from our machines.
const CDK_VERSION = '2.275.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-event-driven-microservice',
  packageName: 'cdk-event-driven-microservice',
  description:
    'An AWS CDK L3 construct for a production-grade event-sourced microservice: event store, CQRS, sagas, replay, five event sources, DLQs, dashboards, alarms and a cost estimate.',
  author: 'cdk-event-driven-microservice developers',
  authorAddress: 'dev@example.com',
  repositoryUrl: 'https://github.com/example/cdk-event-driven-microservice.git',
  keywords: ['cdk', 'awscdk', 'event-sourcing', 'cqrs', 'saga', 'eventbridge', 'dynamodb', 'lambda'],
  cdkVersion: CDK_VERSION,
  constructsVersion: '10.5.1',
  defaultReleaseBranch: 'main',
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~5.9.0',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',
  workflowNodeVersion: '22.x',

  // We build and test with `.ci/run` on our own machines: no GitHub workflows or release train.
  github: false,
  release: false,

  publishToPypi: {
    distName: 'cdk-event-driven-microservice',
    module: 'cdk_event_driven_microservice',
  },
  // NuGet stays a jsii target; our machines have no .NET SDK, so CI packages Python only.
  publishToNuget: {
    dotNetNamespace: 'Cdk.EventDrivenMicroservice',
    packageId: 'Cdk.EventDrivenMicroservice',
  },

  devDeps: [
    'cdk-nag@^3.0.2',
    'esbuild@^0.28.0',
    '@aws-sdk/client-dynamodb@^3',
    '@aws-sdk/lib-dynamodb@^3',
    '@aws-sdk/util-dynamodb@^3',
    '@aws-lambda-powertools/logger@^2',
    '@aws-lambda-powertools/metrics@^2',
    '@types/aws-lambda@^8',
  ],

  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'lambda-templates', 'examples', 'scripts', 'bench'],
  },
  jestOptions: {
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 120_000,
      // Runtime tests each start their own emulator; two workers suit our 2-core machines.
      maxWorkers: 2,
    },
  },
  gitignore: ['.readme-example-*.ts', '/.venv-python-example/', '/assets/', '/.venv/', '/.tools/', 'cdk.out/', '/bench-results/', '__pycache__/', '/examples/python/.venv/'],
});

for (const pattern of ['/lambda-templates/', '/examples/', '/scripts/', '/bench/', '/.ci/', '/.venv/', '/.tools/', 'cdk.out/']) {
  project.addPackageIgnore(pattern);
}

// Code outside src/ is type-checked (and linted) through a tsconfig per folder, like test/.
for (const dir of ['lambda-templates', 'examples', 'scripts', 'bench']) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: {
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '..', isolatedModules: true },
      include: ['**/*.ts'],
      exclude: ['node_modules'],
    },
  });
}
const tsNode = (dir: string, file: string) => `ts-node --project ${dir}/tsconfig.json ${file}`;

// Lambda templates are bundled with esbuild at build time into `assets/`, which ships in the
// npm tarball (and so in the Python wheel): consumers never need esbuild or Docker at synth.
const bundle = project.addTask('bundle', {
  description: 'Bundle lambda-templates/* into assets/handlers/* with esbuild',
  exec: tsNode('scripts', 'scripts/bundle-templates.ts'),
});
project.preCompileTask.spawn(bundle);
project.testTask.prependSpawn(bundle);

project.addTask('bench', {
  description: 'Print bundle size, cold load time and synth time, as ratios against baselines',
  exec: tsNode('bench', 'bench/run.ts'),
}).prependSpawn(bundle);

project.addTask('synth:order', {
  description: 'Synthesize the order-service example and print what it made',
  exec: tsNode('scripts', 'scripts/summarize.ts examples/order-service.ts'),
}).prependSpawn(bundle);

project.synth();
