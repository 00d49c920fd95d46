import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/**
 * The README's TypeScript example must keep compiling and constructing: it is type-checked
 * against the library's source (imported as the package name) and then run.
 */
const ROOT = path.join(__dirname, '..');

function readmeTypeScriptBlocks(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('README TypeScript examples', () => {
  const blocks = readmeTypeScriptBlocks();
  let files: string[] = [];
  beforeAll(() => {
    files = blocks.map((code, i) => {
      const file = path.join(ROOT, 'test', `.readme-example-${i}.ts`);
      fs.writeFileSync(file, code.replace(/from 'cdk-event-driven-microservice'/g, "from '../src'"));
      return file;
    });
  });
  afterAll(() => files.forEach((file) => fs.rmSync(file, { force: true })));

  test('there is at least one', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  test('type-check', () => {
    const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const program = ts.createProgram(files, { ...config.options, noEmit: true, rootDir: ROOT, noUnusedLocals: false });
    const diagnostics = ts.getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);
  });

  test('run without error', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the example files are written at run time
    for (const file of files) expect(() => require(file)).not.toThrow();
  });
});
