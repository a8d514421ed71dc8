/**
 * The load runner with --nodes 2, small: socket.io (the transport whose cluster also broadcasts through its Redis
 * adapter) at 20 clients in the quick profile, against one server behind nginx, a cluster of 1 node and a cluster of 2.
 * Real server, cluster (Redis, publisher, nodes, nginx) and worker processes. Asserts facts: every quote of every window
 * delivered once and in order, the file's shape, CPU per delivery read for the nodes, Redis, the publisher and nginx,
 * the bus cost's arithmetic, and that no process of any cluster is left; and that what a cluster cannot do is refused.
 * About 30 seconds.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../../scripts/load/cli-args.ts';
import { clusterNote, runClusterLoad } from '../../scripts/load/cluster-run.ts';
import { type ClusterLoadOptions, isClusterRun } from '../../scripts/load/options.ts';
import { clusterSummary } from '../../scripts/load/print.ts';
import type { ClusterLoadResults, ClusterRow } from '../../scripts/load/types.ts';
import { assertDelivered, children } from './helpers.ts';

const CLIENTS = 20;
const TRANSPORT = 'socketio';

const ROW_KEYS = [
  'busUsPerDelivery',
  'clients',
  'connected',
  'cpu',
  'deliveries',
  'deliveriesPerSecond',
  'hostCores',
  'kind',
  'latencyMs',
  'lost',
  'nodes',
  'pids',
  'serverSideUsPerDelivery',
  'stepId',
  'status',
].sort();

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('load runner --nodes', () => {
  let dir: string;
  let out: string;
  let results: ClusterLoadResults;
  let childrenBefore: number[] = [];
  const rows = () => results.comparisons.flatMap((c) => c.rows);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lab-load-cluster-'));
    out = join(dir, 'load-cluster.json');
    const { options, profile } = parseLoadArgs([
      '--nodes',
      '2',
      '--clients',
      String(CLIENTS),
      '--quick',
      '--transports',
      TRANSPORT,
      '--out',
      out,
    ]);
    if (!isClusterRun(options)) throw new Error('--nodes did not make a scale-out run');
    childrenBefore = children();
    results = await runClusterLoad(options, { profile });
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('wrote load-cluster.json: the single server behind nginx, a cluster of 1 and of 2, and a note', async () => {
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(JSON.parse(JSON.stringify(results)));
    expect(Object.keys(results).sort()).toEqual(
      [
        'aborted',
        'cluster',
        'comparisons',
        'elapsedS',
        'environment',
        'meta',
        'method',
        'note',
        'options',
        'pinning',
        'profile',
        'proxy',
        'runs',
        'skipped',
        'steps',
      ]
        .concat(['kind', 'schema'])
        .sort(),
    );
    expect(results).toMatchObject({ kind: 'load-cluster', schema: 2, profile: 'quick', aborted: false, skipped: [] });
    expect(results.cluster).toEqual({ nodes: 2, balance: 'round-robin', heartbeatMs: 15000, cpus: availableParallelism() });
    expect(results.meta.machine.cpus).toBeGreaterThan(0);
    expect(results.proxy).toMatchObject({ kind: 'nginx', profile: 'tuned' });
    expect(results.steps.map((s) => s.id)).toEqual([
      `load/clients/${TRANSPORT}/n${CLIENTS}-r10-p0-nginx-tuned`,
      `load/clients/${TRANSPORT}/n${CLIENTS}-r10-p0-cluster1`,
      `load/clients/${TRANSPORT}/n${CLIENTS}-r10-p0-cluster2`,
    ]);
    expect(results.comparisons).toHaveLength(1);
    const [comparison] = results.comparisons;
    expect(comparison).toMatchObject({ transport: TRANSPORT, clients: CLIENTS, rate: 10 });
    expect(comparison!.rows.map((r) => [r.kind, r.nodes, r.stepId])).toEqual(
      results.steps.map((s, i) => [i ? 'cluster' : 'plain', i || 1, s.id]),
    );
    for (const row of rows()) expect(Object.keys(row).sort(), row.stepId).toEqual(ROW_KEYS);
    expect(results.note).toBe(clusterNote(availableParallelism(), 2));
    expect(clusterSummary(results)).toContain(results.note);
  });

  it('delivered every quote of every window once, in order, through nginx to one server and to each cluster', () => {
    for (const step of results.runs) {
      assertDelivered(step, CLIENTS);
      expect(step.status, step.id).not.toBe('client-bound');
      expect(step.server.messagesSent, step.id).toBeGreaterThan(0);
      expect(step.proxy, step.id).toMatchObject({ kind: 'nginx', profile: 'tuned' });
    }
    // One server's /stats counts whole broadcasts; a cluster's nodes are read together but each at its own seq.
    expect(results.steps[0]!.server.messagesSent! % CLIENTS).toBe(0);
    for (const row of rows()) {
      expect(row, row.stepId).toMatchObject({ clients: CLIENTS, connected: CLIENTS, lost: 0 });
      expect(row.deliveries).toBe(results.steps.find((s) => s.id === row.stepId)!.server.messagesSent);
    }
  });

  it('read CPU per delivery for the server or nodes, Redis, the publisher, nginx and the generator', () => {
    const isCount = (value: number | null) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
    for (const row of rows()) {
      const { server, redis, publisher, nginx, generator } = row.cpu;
      expect(server.usPerDelivery, row.stepId).toBeGreaterThan(0);
      expect(server.cpuMs).toBeGreaterThan(0);
      expect(isCount(nginx.ticks) && isCount(nginx.usPerDelivery), `${row.stepId} nginx ${JSON.stringify(nginx)}`).toBe(true);
      expect(generator.usPerDelivery).toBeGreaterThan(0);
      if (row.kind === 'plain') {
        expect(redis).toBeNull();
        expect(publisher).toBeNull();
        expect(row.busUsPerDelivery).toBeNull();
        expect(row.serverSideUsPerDelivery).toBe(server.usPerDelivery);
        continue;
      }
      for (const [name, cpu] of Object.entries({ redis, publisher })) {
        // Clock ticks over a short window may be 0: a number, never null, and never negative.
        expect(
          isCount(cpu!.ticks) && isCount(cpu!.cpuMs) && isCount(cpu!.usPerDelivery),
          `${row.stepId} ${name} ${JSON.stringify(cpu)}`,
        ).toBe(true);
        expect(cpu!.usPerDelivery).toBeCloseTo((cpu!.cpuMs! * 1000) / row.deliveries!, 1);
      }
      expect(row.serverSideUsPerDelivery).toBeCloseTo(server.usPerDelivery! + redis!.usPerDelivery! + publisher!.usPerDelivery!, 1);
      expect(row.busUsPerDelivery).toBeCloseTo(row.serverSideUsPerDelivery! - rows()[0]!.cpu.server.usPerDelivery!, 1);
    }
    expect(results.comparisons[0]!.busUsPerDelivery).toBe(rows()[1]!.busUsPerDelivery);
  });

  it('left no process of any cluster, server, nginx or worker running', () => {
    const clusters = rows().filter((r): r is ClusterRow & { kind: 'cluster' } => r.kind === 'cluster');
    expect(clusters.map((r) => r.pids.servers.length)).toEqual([1, 2]);
    for (const row of rows()) {
      const { cluster, servers, redis, nginx } = row.pids;
      expect(nginx.length, row.stepId).toBeGreaterThanOrEqual(2); // master and worker
      for (const pid of [...(cluster === null ? [] : [cluster]), ...servers, ...(redis === null ? [] : [redis]), ...nginx])
        expect(gone(pid), `${row.stepId}: pid ${pid} still running`).toBe(true);
    }
    for (const row of clusters) expect(row.pids.redis, row.stepId).toBeGreaterThan(0);
    expect(children().filter((pid) => !childrenBefore.includes(pid))).toEqual([]);
  });
});

describe('load runner --nodes options', () => {
  const parse = (...argv: string[]) => parseLoadArgs(argv).options as ClusterLoadOptions;

  it('defaults to the cluster transports at 1,000 clients (200 quick), nginx tuned, its own file and no claim', () => {
    const full = parse('--nodes', '3');
    expect(full).toMatchObject({
      nodes: 3,
      transports: ['sse', 'ws', 'socketio'],
      clients: [1000],
      proxy: 'tuned',
      claims: null,
      payload: [],
      rampClients: null,
      upstreamConnections: null,
      heartbeatMs: 15000,
      rate: 10,
      duration: 4,
      repeats: 3,
    });
    expect(full.out).toMatch(/results\/load-cluster\.json$/);
    expect(parse('--nodes', '2', '--quick')).toMatchObject({ clients: [200], rate: 10, duration: 4, settleS: 0, repeats: 1 });
    expect(parse('--nodes', '2', '--quick', '--clients', '20')).toMatchObject({ clients: [20] });
    expect(isClusterRun(parseLoadArgs(['--quick']).options)).toBe(false);
  });

  it('refuses what a cluster cannot run', () => {
    expect(() => parse('--nodes', '0')).toThrow(/LAB_BAD_OPTION: nodes is 0 \(a whole number 1\.\.16/);
    expect(() => parse('--nodes', '17')).toThrow(/nodes is 17/);
    expect(() => parse('--nodes', '2', '--tls')).toThrow(/tls with nodes/);
    expect(() => parse('--nodes', '2', '--proxy', 'tuned')).toThrow(/proxy with nodes/);
    expect(() => parse('--nodes', '2', '--transports', 'tcp')).toThrow(/transports with nodes .*a cluster runs sse, ws, socketio/);
    expect(() => parse('--nodes', '2', '--payload', '64')).toThrow(/payload or ramp with nodes/);
    expect(() => parse('--nodes', '2', '--ramp-clients', '100')).toThrow(/payload or ramp with nodes/);
    expect(() => parse('--nodes', '2', '--upstream-connections', '10')).toThrow(/round trips are not measured through nginx/);
  });

  it('says when N nodes cannot be faster than one: fewer cores than nodes, Redis, nginx and the generator', () => {
    expect(clusterNote(2, 2)).toMatch(/^On this 2-core machine the 2 nodes share the 2 cores .* cannot deliver faster than 1 here/);
    expect(clusterNote(2, 2)).toContain('busUsPerDelivery');
    expect(clusterNote(16, 2)).not.toContain('cannot deliver faster');
  });
});
