/**
 * Start moto (the AWS API emulator, PyPI `moto[server]`) in server mode for a test file, on a
 * free port of 127.0.0.1, through `moto_server.py`, which applies requests one at a time so
 * that conditional writes and transactions are atomic as in DynamoDB (see that file).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface Moto {
  /** `http://127.0.0.1:<port>`: give it to the SDK as `endpoint` or `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(__dirname, '..', '..');
const STARTUP_TIMEOUT_MS = 60_000;

/** The venv's Python: `$PROJECT_VENV` (set by `scripts/env.sh`), else `.venv/` of the repo. */
export function venvPython(): string {
  const candidates = [process.env.PROJECT_VENV, join(REPO_ROOT, '.venv')]
    .filter((dir): dir is string => !!dir)
    .map(dir => join(dir, 'bin', 'python'));
  const python = candidates.find(p => existsSync(p));
  if (!python) {
    throw new Error(`no Python venv with moto found (looked for ${candidates.join(', ')}); run \`. scripts/env.sh\` in the repository root first`);
  }
  return python;
}

export async function startMoto(): Promise<Moto> {
  const child = spawn(venvPython(), [join(__dirname, 'moto_server.py'), '--host', '127.0.0.1', '--port', '0'], {
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    const port = await waitForPort(child, () => stderr);
    const endpoint = `http://127.0.0.1:${port}`;
    await waitUntilAnswering(endpoint);
    return { endpoint, stop: () => stop(child) };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

function waitForPort(child: ChildProcessWithoutNullStreams, stderr: () => string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(`moto did not start within ${STARTUP_TIMEOUT_MS} ms`), STARTUP_TIMEOUT_MS);
    function fail(message: string) {
      clearTimeout(timer);
      reject(new Error(`${message}\n${stderr()}`));
    }
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /MOTO_PORT=(\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.once('error', e => fail(`cannot run moto: ${e.message}`));
    child.once('exit', code => fail(`moto exited with code ${code} before listening`));
  });
}

async function waitUntilAnswering(endpoint: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    let problem: string;
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
      problem = `HTTP ${response.status}`;
    } catch (error) {
      problem = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`moto at ${endpoint} does not answer: ${problem}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.stdin.end();
    child.kill('SIGTERM');
  });
}
