/**
 * Imported first by main.ts. Host name lookups (getaddrinfo) block a libuv pool thread each, and
 * the pool (4 threads by default) also serves every file-system call: at thousands of probes a
 * slow resolver would queue lookups behind each other — turning into false TIMEOUTs — and stall
 * state writes. The pool is sized before anything uses it (it starts on first use); an explicit
 * UV_THREADPOOL_SIZE from the environment wins.
 */
process.env['UV_THREADPOOL_SIZE'] ??= '64';
