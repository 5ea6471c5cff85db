/** The sandbox authority's public surface: start one, and the types that describe it. */
export { startSandbox, type Sandbox, type SandboxOptions, type SandboxSnapshot } from './server.js';
export type { FaultSet } from './faults.js';
export { SandboxDataError } from './persistence.js';
