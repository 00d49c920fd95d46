/**
 * Bundle every `lambda-templates/<name>/index.ts` (except `shared/`) into
 * `assets/handlers/<name>/index.js` with esbuild: one self-contained CommonJS file for Node.js 22,
 * the AWS SDK included (we do not depend on the SDK version of the Lambda runtime).
 * Run at build time (`npx projen bundle`); consumers never need esbuild at synth.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

export const REPO_ROOT = resolve(__dirname, '..');
export const TEMPLATES_DIR = join(REPO_ROOT, 'lambda-templates');
export const HANDLERS_DIR = join(REPO_ROOT, 'assets', 'handlers');

/** The options every handler bundle (and the benchmark's baseline) is built with. */
export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  mainFields: ['module', 'main'],
  minify: true,
  treeShaking: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};

export interface BundledTemplate {
  readonly name: string;
  readonly outfile: string;
  readonly bytes: number;
}

/** The templates: folders of `lambda-templates/` holding an `index.ts`, `shared` excepted. */
export function templateNames(templatesDir = TEMPLATES_DIR): string[] {
  return readdirSync(templatesDir, { withFileTypes: true })
    .filter(d => d.isDirectory() && d.name !== 'shared' && existsSync(join(templatesDir, d.name, 'index.ts')))
    .map(d => d.name)
    .sort();
}

/** True when every template has a bundle newer than every file under `lambda-templates/`. */
export function bundlesAreFresh(templatesDir = TEMPLATES_DIR, outDir = HANDLERS_DIR): boolean {
  const newestSource = newestMtime(templatesDir);
  return templateNames(templatesDir).every((name) => {
    const outfile = join(outDir, name, 'index.js');
    return existsSync(outfile) && statSync(outfile).mtimeMs >= newestSource;
  });
}

function newestMtime(dir: string): number {
  return Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map(d => (d.isDirectory()
    ? newestMtime(join(dir, d.name))
    : statSync(join(dir, d.name)).mtimeMs)));
}

/** Bundle every template; returns the files written. */
export async function bundleTemplates(templatesDir = TEMPLATES_DIR, outDir = HANDLERS_DIR): Promise<BundledTemplate[]> {
  return Promise.all(templateNames(templatesDir).map(async (name) => {
    const outfile = join(outDir, name, 'index.js');
    await build({ ...BUNDLE_OPTIONS, entryPoints: [join(templatesDir, name, 'index.ts')], outfile });
    return { name, outfile, bytes: statSync(outfile).size };
  }));
}

if (require.main === module) {
  const started = Date.now();
  bundleTemplates().then((bundles) => {
    for (const b of bundles) {
      console.log(`${b.name.padEnd(24)} ${(b.bytes / 1024).toFixed(1).padStart(8)} KB  ${relative(REPO_ROOT, b.outfile)}`);
    }
    console.log(`bundled ${bundles.length} template(s) in ${Date.now() - started} ms`);
  }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
