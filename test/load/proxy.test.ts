/**
 * The load runner with --proxy tuned, small: SSE and ws each measured directly and then through a
 * real nginx (100 clients, 20 quotes/s, 3 s windows), the TCP floor directly only. Real server,
 * nginx and worker processes. Asserts facts: every quote delivered once through nginx, the direct
 * twin of every proxied step, nginx's processes, memory and CPU ticks read from /proc, the results
 * file's shape (test/fixtures/example-load-proxy.json) and the report block built from it; and that a
 * bad profile, TLS or round trips with --proxy are refused. About a minute.
 */
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../../scripts/load/cli-args.ts';
import { CLOCK_TICKS, proxyClientCap } from '../../scripts/load/nginx-proc.ts';
import { isNginxProcess } from '../../servers/proxy/nginx.ts';
import { nginxFileBudget } from '../../servers/proxy/profiles.ts';
import { resolveLoadOptions } from '../../scripts/load/options.ts';
import { runLoad } from '../../scripts/load/run.ts';
import type { LoadResults, StepResult } from '../../scripts/load/types.ts';
import type { ReportInputs } from '../../scripts/report/inputs.ts';
import { proxyLoadSection } from '../../scripts/report/proxy-load.ts';
import { assertDelivered, assertFigures, assertShape, assertWrittenLikeExample, children } from './helpers.ts';

const CLIENTS = 100;
const EXAMPLE = new URL('../fixtures/example-load-proxy.json', import.meta.url);

describe('load runner through nginx', () => {
  let dir: string;
  let results: LoadResults;
  let childrenBefore: number[] = [];
  const proxied = () => results.steps.filter((s): s is StepResult & { proxy: NonNullable<StepResult['proxy']> } => s.proxy !== null);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lab-load-proxy-'));
    const options = resolveLoadOptions(
      { proxy: 'tuned', transports: ['sse', 'ws', 'tcp'], clients: [CLIENTS], rate: 20, duration: 3, out: join(dir, 'load-proxy.json') },
      'tiny',
    );
    childrenBefore = children();
    results = await runLoad(options, { profile: 'tiny' });
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('wrote its own file with the schema of the committed example, and left the claim alone', async () => {
    await assertWrittenLikeExample(results, join(dir, 'load-proxy.json'), EXAMPLE);
    // The first step of the example is direct (proxy null): check a proxied step against a proxied one too.
    const example = JSON.parse(await readFile(EXAMPLE, 'utf8')) as LoadResults;
    const model = example.steps.find((s) => s.proxy !== null);
    for (const step of proxied()) assertShape(step, model, step.id);
    expect(results.options).toMatchObject({ proxy: 'tuned', claims: null, payload: [], rampClients: null, upstreamConnections: null });
    await expect(access(join(dir, 'claims.json'))).rejects.toThrow();
  });

  it('ran SSE and ws directly and then through nginx, and the floor directly only, saying why', () => {
    expect(results.aborted).toBe(false);
    expect(results.skipped).toEqual([]);
    expect(results.steps.map((s) => s.id)).toEqual([
      `load/clients/sse/n${CLIENTS}-r20-p0`,
      `load/clients/sse/n${CLIENTS}-r20-p0-nginx-tuned`,
      `load/clients/ws/n${CLIENTS}-r20-p0`,
      `load/clients/ws/n${CLIENTS}-r20-p0-nginx-tuned`,
      `load/clients/tcp/n${CLIENTS}-r20-p0`,
    ]);
    const { workerConnections } = nginxFileBudget();
    expect(results.proxy).toMatchObject({ kind: 'nginx', profile: 'tuned', clientCap: proxyClientCap(workerConnections) });
    expect(results.proxy!.clientCapNote).toContain(`worker_connections ${workerConnections}`);
    expect(results.proxy!.directOnly.map((d) => d.transport)).toEqual(['tcp']);
    expect(results.proxy!.directOnly[0]!.reason).toMatch(/no HTTP to proxy/);
    expect(results.proxy!.config).toMatch(/proxy_buffering off;/);
    // The verdict and the memory lines come from the direct steps only.
    for (const id of results.claim.records) expect(id).not.toMatch(/nginx/);
  });

  it('delivered every quote once, in order, directly and through nginx', () => {
    for (const step of results.runs) {
      assertDelivered(step, CLIENTS);
      assertFigures(step, CLIENTS);
    }
  });

  it('pairs each proxied step with its direct twin and records what nginx added to the latency', () => {
    for (const step of proxied()) {
      const direct = results.steps[results.steps.indexOf(step) - 1]!;
      expect(step.proxy.directId).toBe(direct.id);
      expect(direct).toMatchObject({ proxy: null, transport: step.transport, clients: step.clients, rate: step.rate });
      const { p50, p99 } = step.proxy.addedLatencyMs;
      expect(p50).toBeCloseTo(step.delivery.latencyMs.p50! - direct.delivery.latencyMs.p50!, 2);
      expect(p99).toBeCloseTo(step.delivery.latencyMs.p99! - direct.delivery.latencyMs.p99!, 2);
      // The server behind nginx counted the clients as nginx's upstream connections.
      expect(step.server.loaded!.connections).toBe(CLIENTS);
      expect(step.proxy.upstream).toMatch(/^(http|ws):\/\/127\.0\.0\.1:\d+\//);
      expect(step.proxy.clientTls).toBe(false);
    }
  });

  it("read nginx's processes, memory and CPU from /proc", () => {
    for (const step of proxied()) {
      const { masterPid, workerPids, memory, cpu } = step.proxy;
      expect(masterPid, step.id).toBeGreaterThan(0);
      expect(workerPids, step.id).toHaveLength(1); // worker_processes 1
      expect(memory.idleRssBytes, step.id).toBeGreaterThan(0);
      expect(memory.loadedRssBytes, step.id).toBeGreaterThan(0);
      expect(memory.masterRssBytes, step.id).toBeGreaterThan(0);
      expect(memory.perClientBytes).toBe(Math.round((memory.loadedRssBytes! - memory.idleRssBytes!) / CLIENTS));
      // 100 clients x 60 quotes relayed: nginx cannot do that in no CPU time at all.
      expect(cpu.clockTicksPerSecond).toBe(CLOCK_TICKS);
      expect(cpu.ticks, step.id).toBeGreaterThan(0);
      expect(cpu.cpuMs).toBeCloseTo((cpu.ticks! * 1000) / CLOCK_TICKS, 3);
      expect(cpu.usPerDelivery).toBeCloseTo((cpu.cpuMs! * 1000) / step.server.messagesSent!, 1);
    }
  });

  it('builds the report block from the run: the chart of direct against nginx, and nginx beside the server', () => {
    const { charts, blocks } = proxyLoadSection({ loadProxy: results } as ReportInputs);
    expect(charts.map((c) => c.id)).toEqual(['proxy-load-latency']);
    const [chart] = charts;
    // SSE and ws through nginx, the floor as the direct-only reference.
    expect(chart!.config.data.labels).toHaveLength(3);
    expect(String(chart!.config.data.labels[2])).toMatch(/direct only$/);
    const [sse] = proxied();
    expect(chart!.config.data.datasets[1]!.data[0]).toBeCloseTo(sse!.delivery.latencyMs.p50!, 2);
    expect(chart!.caption).toContain(`At ${CLIENTS} clients and 20 quotes/s`);
    expect(chart!.caption).toContain('one run each, not repeated');
    const table = blocks.find((b) => b.kind === 'table');
    expect(table?.kind === 'table' && table.rows).toHaveLength(2);
    expect(table?.kind === 'table' && table.caption).toContain(`${(sse!.proxy.memory.perClientBytes! / 1024).toFixed(1)} KiB`);
    expect(blocks).toContainEqual(expect.objectContaining({ kind: 'chart', id: 'proxy-load-latency' }));
  });

  it('left no server, nginx, twin or worker running', () => {
    for (const step of proxied())
      for (const pid of [step.proxy.masterPid!, ...step.proxy.workerPids]) expect(isNginxProcess(pid), `nginx ${pid}`).toBe(false);
    for (const step of results.steps) expect(() => process.kill(step.server.pid!, 0), `server ${step.server.pid} still alive`).toThrow();
    expect(children().filter((pid) => !childrenBefore.includes(pid))).toEqual([]);
  });
});

describe('load runner --proxy options', () => {
  it('refuses a profile nginx does not have, TLS to the server, and round trips through nginx', () => {
    expect(() => parseLoadArgs(['--proxy', 'squid'])).toThrow(/lab: LAB_BAD_OPTION: proxy is "squid" \(one of stock, tuned, gzip, h2\)/);
    expect(() => parseLoadArgs(['--proxy', 'tuned', '--tls'])).toThrow(/LAB_BAD_OPTION: tls with proxy/);
    expect(() => parseLoadArgs(['--proxy', 'tuned', '--upstream-connections', '10'])).toThrow(/round trips are not measured through nginx/);
  });

  it('defaults a quick run through nginx to 1,000 clients, its own results file and no claim', () => {
    const { options } = parseLoadArgs(['--quick', '--proxy', 'tuned']);
    expect(options).toMatchObject({
      proxy: 'tuned',
      clients: [1000],
      claims: null,
      payload: [],
      rampClients: null,
      upstreamConnections: null,
    });
    expect(options.out).toMatch(/results\/load-proxy\.json$/);
    expect(parseLoadArgs(['--quick']).options).toMatchObject({ proxy: null, clients: [100, 1000] });
  });

  it("caps the clients one step sends through nginx at half its worker_connections, from nginx's own budget", () => {
    // 18,000 worker_connections: 32 kept spare, two for each client.
    expect(proxyClientCap(18_000)).toBe(8984);
    expect(proxyClientCap(18_001)).toBe(8984);
    const { workerConnections } = nginxFileBudget();
    expect(2 * proxyClientCap(workerConnections)).toBeLessThan(workerConnections);
  });
});
