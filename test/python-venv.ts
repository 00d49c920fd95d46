import * as fs from 'fs';
import * as path from 'path';

/** A program of the project's Python venv (made by `. scripts/env.sh`), e.g. `cfn-lint`. */
export function pythonVenvBin(program: string): string {
  const venv = process.env.PROJECT_VENV ?? path.join(__dirname, '..', '.venv');
  const bin = path.join(venv, 'bin', program);
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} is missing: run '. scripts/env.sh' to create the Python venv`);
  }
  return bin;
}
