/**
 * `npm run cluster` as a user meets it (issue 11's contract): one JSON ready line naming every process, a node that
 * dies reported on stderr and in the cluster's /stats while the others go on, SIGTERM stopping Redis, the nodes and
 * nginx (exit code 0), and bad arguments answered with a `lab:` line and exit code 2.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/lib/paths.ts';
import { CLUSTER_COMMAND } from '../scripts/load/cluster-proc.ts';
import type { ClusterReadyLine } from '../servers/cluster/cluster.ts';
import { alive, waitFor } from './helpers.ts';

function startCli(args: string[]) {
  const [command, ...base] = CLUSTER_COMMAND;
  const child = spawn(command!, [...base, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<ClusterReadyLine>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as ClusterReadyLine));
    exited.then((code) => reject(new Error(`cluster exited (${code}) before its ready line: ${stderr}`)));
  });
  return { child, ready, exited, stderr: () => stderr };
}

describe('npm run cluster', () => {
  it('prints one ready line, reports a dead node on stderr and in /stats, and stops everything on SIGTERM', async () => {
    const cli = startCli(['ws', '--nodes', '2', '--rate', '20']);
    const ready = await cli.ready;
    expect(ready).toMatchObject({ transport: 'ws', balance: 'round-robin', pid: cli.child.pid });
    expect(ready.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    expect(ready.nodes).toHaveLength(2);
    const pids = [...ready.nodes.map((n) => n.pid), ready.redis.pid, ready.proxy.pid];
    expect(pids.every(alive)).toBe(true);

    const dead = ready.nodes[0]!.pid;
    process.kill(dead, 'SIGKILL');
    await waitFor(() => cli.stderr().includes(`lab: node 0 (pid ${dead}) exited with signal SIGKILL`), 'the death reported on stderr');
    const stats = (await (await fetch(ready.stats)).json()) as {
      nodes: { alive: boolean; exit?: { signal: string }; snapshot: unknown }[];
    };
    expect(stats.nodes[0]).toMatchObject({ alive: false, exit: { signal: 'SIGKILL' }, snapshot: null });
    expect(stats.nodes[1]).toMatchObject({ alive: true, snapshot: { transport: 'ws' } });
    // The survivor still serves through nginx.
    const survivor = await fetch(ready.url.replace(/^ws/, 'http').replace(/\/ws$/, '/stats'));
    expect(survivor.status).toBe(200);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await waitFor(() => !pids.some(alive), 'Redis, the nodes and nginx gone');
  });

  it.each([
    [['sse'], '--nodes is missing'],
    [['sse', '--nodes', '0'], '--nodes is 0'],
    [['sse-h2', '--nodes', '2'], 'cluster sse --tls'],
    [['tcp', '--nodes', '2'], 'nginx balances HTTP only'],
    [['ws', '--nodes', '2', '--balance', 'random'], '--balance is "random"'],
    [['ws', '--nodes', '2', '--rate', '200000'], 'rate is 200000'],
  ])('refuses %j with exit code 2 and a lab: line', async (args, says) => {
    const cli = startCli(args);
    cli.ready.catch(() => undefined);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('lab: LAB_BAD_OPTION');
    expect(cli.stderr()).toContain(says);
  });
});
