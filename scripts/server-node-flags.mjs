/**
 * Node.js flags the server runs with (`npm start`, the Dockerfile's CMD, which repeats them, and the
 * benchmarks' server processes, so that they measure what ships).
 *
 * --max-semi-space-size=64: V8's young generation may grow to 64 MB semi-spaces (default 16 MB), so
 * the short-lived garbage of each request (parsed headers, promises, log lines, JSON) is collected
 * by fewer scavenges. `npm run bench:catalog -- --only cached-detail --connections 1000 --build`,
 * alternating runs on a quiet machine: 112–115 µs of server CPU per request against 117–138 µs,
 * 8,839–8,986 requests/s against 7,521–8,521. Costs up to ~100 MB more heap under load.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64']
