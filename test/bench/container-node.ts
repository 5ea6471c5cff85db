/**
 * The test suite on the Node the container image runs (the Dockerfile's `FROM node:NN`), not only
 * on this machine's: `npm run test:container-node` (CI runs it after `npm test`). vitest, its
 * workers and every agent the tests spawn (process.execPath) then run on that node. The binary is
 * fetched once from the npm registry (lib/node-binary.ts). Arguments go to `vitest run`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { agentNode } from './lib/node-binary.js';
import { ROOT } from './lib/paths.js';

const log = (line: string) => process.stderr.write(`[container-node] ${line}\n`);
const node = agentNode('container', log);
log(`vitest run on Node ${node.version} (OpenSSL ${node.openssl}): ${node.bin}`);
const child = spawn(node.bin, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
