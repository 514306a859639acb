// Container health probe without curl/wget (the slim image has neither):
//   node deploy/healthcheck.cjs [/health/ready|/health/live]
// Exits 0 on HTTP 2xx from 127.0.0.1:$PORT<path>, 1 otherwise. PORT defaults to the service's own port.
'use strict';

const DEFAULT_PORTS = { intake: 3000, gateway: 3001, 'spec-parser': 3002, 'ai-enhancer': 3003, packager: 3004 };
const path = process.argv[2] || '/health/ready';
const port = Number(process.env.PORT || DEFAULT_PORTS[process.env.SERVICE] || 3000);
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 4000);

fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) })
  .then((res) => {
    if (!res.ok) console.error(`healthcheck: ${path} answered ${res.status}`);
    process.exit(res.ok ? 0 : 1);
  })
  .catch((err) => {
    console.error(`healthcheck: ${path} failed: ${err && err.message ? err.message : err}`);
    process.exit(1);
  });
