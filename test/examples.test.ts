import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { pythonVenvBin } from './python-venv';
import { AnalyticsServiceStack } from '../examples/analytics-service';
import { InventoryServiceStack } from '../examples/inventory-service';
import { OrderServiceStack } from '../examples/order-service';

/**
 * Every example app, synthesized the way a user's CI would: with the cdk-nag AwsSolutions and
 * Serverless packs as policy-validation plugins (synth throws on any finding left) and the
 * CloudFormation default-rules validation, then checked by cfn-lint.
 */
const EXAMPLES: Array<[string, new (scope: App, id: string) => Stack]> = [
  ['order-service', OrderServiceStack],
  ['inventory-service', InventoryServiceStack],
  ['analytics-service', AnalyticsServiceStack],
];

describe.each(EXAMPLES)('example %s', (name, StackClass) => {
  let outdir: string;
  let templatePath: string;
  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), `example-${name}-`));
    const app = new App({ outdir, context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new StackClass(app, 'Example');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    app.synth();
    templatePath = path.join(outdir, `${stack.artifactId}.template.json`);
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('synthesizes with no cdk-nag error, and only the warnings we document', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.map((p: any) => p.pluginName).sort()).toEqual(['AwsSolutions', 'Serverless']);
    const findings = report.pluginReports.flatMap((p: any) => p.violations.map((v: any) => `${v.severity} ${v.ruleName}`));
    const errors = findings.filter((f: string) => f.startsWith('error'));
    expect(errors).toEqual([]);
    // A WAF web ACL on the REST API is the user's choice (README, Security): with IAM authorization
    // unsigned requests never reach Lambda.
    const warnings = findings.filter((f: string) => !f.startsWith('error'));
    for (const warning of warnings) expect(warning).toMatch(/AwsSolutions-APIG3$/);
  });

  test('passes cfn-lint with no error', () => {
    let output = '';
    let status = 0;
    try {
      output = execFileSync(pythonVenvBin('cfn-lint'), ['--format', 'parseable', templatePath], { encoding: 'utf8' });
    } catch (e: any) {
      output = `${e.stdout}${e.stderr}`;
      status = e.status;
    }
    // cfn-lint's exit code is a bit mask: 2 = error, 4 = warning, 8 = informational.
    const errors = output.split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect(errors).toEqual([]);
    const errorBit = 2;
    expect(Math.floor(status / errorBit) % 2).toBe(0);
  });
});
