/**
 * The V8 flags raqib ships with (Dockerfile NODE_OPTIONS and ENTRYPOINT, `npm start`), so the
 * benchmark and the soak measure what runs in production. test/e2e/container.test.ts checks they
 * agree. First the heap flags, which NODE_OPTIONS accepts, so a user can change them there.
 *
 * Why (figures in docs/performance.md): at 10,000 checks the live JS heap is ~70 MiB, but with
 * Node's defaults V8 lets garbage grow the heap to ~230 MiB before a major GC and RSS peaks near
 * 400 MiB. An 8 MiB semi-space (default 16) keeps short-lived probe garbage small; a 512 MiB
 * old-space limit makes V8 size and collect the old generation against that limit rather than
 * the machine's memory. Together: RSS ~210 MiB at 10,000 checks at the same CPU. A 4 MiB
 * semi-space saved a few MiB more but doubled the time in minor GCs. Above ~40,000 checks, raise
 * --max-old-space-size (the JS heap holds ~5 KiB per check; the config is loaded in a worker thread).
 */
export const AGENT_HEAP_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--max-old-space-size=512'];

/**
 * One thread for V8's concurrent marking (by default up to 7). On two cores, several marking
 * threads left the main thread, which times every probe, without a core while they marked: at
 * 20,000 checks (Node 20, 10-minute runs) the longest block 39.6–43.1 ms against 48.3–76.0, lateness
 * p99 ≤ 1 ms against ≤ 5 ms, scrapes that met a mark-compact 171–187 ms against 208–243. NODE_OPTIONS
 * does not take this flag: the image passes it on node's command line (its ENTRYPOINT).
 */
export const AGENT_V8_FLAGS: readonly string[] = ['--concurrent-marking-max-worker-num=1'];

/** Every flag the agent runs with (`npm start`, the benchmark, the soak). */
export const AGENT_NODE_FLAGS: readonly string[] = [...AGENT_HEAP_FLAGS, ...AGENT_V8_FLAGS];

/**
 * The environment raqib ships with beside the flags (Dockerfile ENV, `npm start`). glibc's malloc
 * gives each thread that allocates an arena of its own, up to 8 per core, and keeps what is freed
 * in each: the TLS handshakes, V8's helper threads, libuv's pool and the config loader's worker
 * all allocate. Two arenas: RSS 277 → 253 MiB max at 20,000 checks on Node 22, projected
 * 306 → 284 MiB, at the same CPU (docs/performance.md §3). Other C libraries ignore it.
 */
export const AGENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** AGENT_ENV with any of its variables already set in this process's environment winning, so
 * that `MALLOC_ARENA_MAX=8 npm run bench` measures the agent with glibc's default arenas. */
export function agentEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(AGENT_ENV).map(([name, value]) => [name, process.env[name] ?? value]));
}
