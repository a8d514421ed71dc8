/**
 * Upstream round trips (SSE is one-way, so its upstream is a separate HTTP request): at the same
 * concurrency C and for the same time, by the transport's upstream capability (capabilities.ts):
 * autocannon drives POST /sse/ping over C HTTP/1.1 keep-alive connections; over HTTP/2, C sessions
 * each run a closed loop of POSTs (h2-post.ts); C lean ws / socket.io connections each run a
 * closed loop of ping -> pong (a message) or emit -> ack. Each starts with `warmup` seconds of the
 * same, not measured. Recorded: completed round trips per second, their latency, errors, the
 * server's CPU per 1,000 round trips and the generator's own CPU. The servers run with the feed
 * stopped (rate 0): the POSTs receive no quotes, so the other connections must not either. Over
 * TLS (--tls, or a transport that requires it) every one of these runs over TLS. A transport
 * without an upstream path (the floor) is not measured.
 */
import { speaksHttp2, type UpstreamTransport } from '../../servers/transports.ts';
import type { SpawnedServer } from '../lib/spawn-server.ts';
import { upstreamMethod, usesTls } from './capabilities.ts';
import { NO_SAMPLES } from './histogram.ts';
import type { LoadOptions } from './options.ts';
import { AbortedError, StatsProbe, type Children, type WorkerHandle } from './processes.ts';
import { serverArgs } from './step.ts';
import type { UpstreamResult } from './types.ts';

export async function runUpstream(
  transport: UpstreamTransport,
  ctx: { options: LoadOptions; ca: string | null; children: Children; signal: AbortSignal },
): Promise<UpstreamResult> {
  const { options, children, signal } = ctx;
  const connections = options.upstreamConnections!;
  const tls = usesTls(transport, options.tls);
  const ca = tls ? ctx.ca : null;
  const result: UpstreamResult = {
    id: `load/upstream/${transport}/c${connections}${tls ? '-tls' : ''}`,
    transport,
    tls,
    method: upstreamMethod(transport),
    connections,
    durationS: options.upstreamDuration,
    status: 'failed',
    error: null,
    requests: 0,
    requestsPerSecond: null,
    errors: 0,
    latencyMs: { ...NO_SAMPLES },
    histogram: null,
    serverCpuMsPer1kRequests: null,
    generator: { cores: null, clientBound: false },
    runs: 1,
    spread: { requests: null, requestsPerSecond: null, p99Ms: null, serverCpuMsPer1kRequests: null },
  };
  let server: SpawnedServer | undefined;
  let worker: WorkerHandle | undefined;
  let probe: StatsProbe | undefined;
  try {
    server = await children.server(transport, serverArgs({ rate: 0, padding: 0, clients: connections, tls }, options));
    worker = children.worker();
    probe = new StatsProbe(server.ready.stats, { ca: ca ?? undefined, http2: speaksHttp2(transport) });
    worker.send({
      type: 'upstream',
      transport,
      url: server.ready.url,
      ca,
      connections,
      warmupS: options.warmup,
      durationS: options.upstreamDuration,
      timeoutMs: options.connectTimeoutMs,
    });
    const budget = (options.warmup + options.upstreamDuration) * 1000 + options.connectTimeoutMs * Math.ceil(connections / 100) + 30_000;
    await worker.next('armed', budget, signal);
    const before = (await probe.read()).snapshot;
    const answer = await worker.next('upstream', budget, signal);
    const after = (await probe.read()).snapshot;
    const cpuMs = (after.cpuUserMicros + after.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros) / 1000;
    const connectErrors = Object.values(answer.connectErrors).reduce((sum, n) => sum + n, 0);
    const clientBound = answer.cores >= options.clientBoundCores;
    Object.assign(result, {
      status: clientBound ? 'client-bound' : answer.errors + connectErrors > 0 ? 'errors' : 'ok',
      error: connectErrors > 0 ? `connect errors: ${JSON.stringify(answer.connectErrors)}` : null,
      requests: answer.requests,
      requestsPerSecond: answer.seconds > 0 ? Math.round(answer.requests / answer.seconds) : null,
      errors: answer.errors + connectErrors,
      latencyMs: answer.latencyMs,
      histogram: answer.histogram,
      serverCpuMsPer1kRequests: answer.requests > 0 ? Math.round((cpuMs / answer.requests) * 1000 * 1e4) / 1e4 : null,
      generator: { cores: Math.round(answer.cores * 1000) / 1000, clientBound },
    } satisfies Partial<UpstreamResult>);
  } catch (error) {
    if (signal.aborted || error instanceof AbortedError) throw new AbortedError();
    result.error = (error as Error).message;
  } finally {
    probe?.close();
    await Promise.all([worker && children.stopWorker(worker), server && children.stopServer(server)]);
  }
  return result;
}
