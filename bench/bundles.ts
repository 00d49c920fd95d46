/**
 * Bundle benchmark: for each bundled template, its size and its cold module-load time (the
 * `require` alone, timed inside fresh Node.js processes, median of several), printed as ratios
 * against a baseline built in the same run with the same esbuild options from a minimal
 * handler that only imports `DynamoDBClient`. Figures only: nothing here asserts.
 *
 *   npx ts-node --project bench/tsconfig.json bench/bundles.ts [runs]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS, bundlesAreFresh, bundleTemplates, HANDLERS_DIR, REPO_ROOT, templateNames } from '../scripts/bundle-templates';

export interface BenchRow {
  /** Template name, or `baseline`. */
  readonly name: string;
  readonly bundleBytes: number;
  /** Median time of `require(bundle)` in a fresh process, in milliseconds. */
  readonly loadMs: number;
  readonly sizeRatio: number;
  readonly loadRatio: number;
  /** Fresh processes measured. */
  readonly runs: number;
  readonly line: string;
}

export interface BenchBundlesOptions {
  /** Fresh processes per bundle. @default 15 */
  readonly runs?: number;
  /** Where lines go. @default console.log */
  readonly log?: (line: string) => void;
}

const BASELINE_SOURCE = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
let client: DynamoDBClient | undefined;
export const handler = async () => {
  client ??= new DynamoDBClient({});
  return client.config.serviceId;
};
`;

export async function benchBundles(options: BenchBundlesOptions = {}): Promise<BenchRow[]> {
  const runs = options.runs ?? 15;
  const log = options.log ?? console.log;
  if (!bundlesAreFresh()) await bundleTemplates();

  const workDir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  try {
    const baselineFile = join(workDir, 'baseline', 'index.js');
    await build({
      ...BUNDLE_OPTIONS,
      stdin: { contents: BASELINE_SOURCE, loader: 'ts', resolveDir: REPO_ROOT, sourcefile: 'baseline.ts' },
      outfile: baselineFile,
    });
    const bundles = [
      { name: 'baseline', file: baselineFile },
      ...templateNames().map(name => ({ name, file: join(HANDLERS_DIR, name, 'index.js') })),
    ];

    // Round-robin, so drift in machine load spreads evenly over the bundles.
    const samples = new Map<string, number[]>(bundles.map(b => [b.name, []]));
    requireTime(baselineFile); // warm the file cache
    for (let i = 0; i < runs; i++) {
      for (const b of bundles) samples.get(b.name)!.push(requireTime(b.file));
    }

    const base = { bytes: statSync(baselineFile).size, ms: median(samples.get('baseline')!) };
    log(`baseline (DynamoDBClient only): ${kb(base.bytes)}, load ${base.ms.toFixed(1)} ms (median of ${runs})`);
    const rows: BenchRow[] = [];
    for (const b of bundles) {
      const bytes = statSync(b.file).size;
      const ms = median(samples.get(b.name)!);
      const sizeRatio = bytes / base.bytes;
      const loadRatio = ms / base.ms;
      const line = `${b.name}: ${kb(bytes)} (${sizeRatio.toFixed(1)}x baseline), load ${ms.toFixed(1)} ms (${loadRatio.toFixed(1)}x baseline)`;
      if (b.name !== 'baseline') log(line);
      rows.push({ name: b.name, bundleBytes: bytes, loadMs: ms, sizeRatio, loadRatio, runs, line });
    }
    return rows;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Milliseconds `require(file)` takes in a fresh Node.js process, measured inside it. */
function requireTime(file: string): number {
  const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(file)});`
    + 'process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));';
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KB`;
}

if (require.main === module) {
  benchBundles({ runs: process.argv[2] ? Number(process.argv[2]) : undefined }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
