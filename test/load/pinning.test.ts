/**
 * Pinning for real: a server started by the load runner's process registry runs on the server side's core, its twin and
 * a generator worker on the client side's, every thread of each (/proc/<pid>/status Cpus_allowed_list is the kernel's
 * own record of the mask).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { planPinning } from '../../scripts/load/pinning.ts';
import { Children, sleep } from '../../scripts/load/processes.ts';

const pinning = planPinning();
const allowed = (pid: number) => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];

describe.skipIf(pinning.method === 'none')("pinning the load runner's processes", () => {
  const children = new Children(pinning);
  afterAll(async () => {
    await children.stopAll();
    children.dispose();
  });

  it('starts the server on the server core, the twin and a worker on the client side', async () => {
    const [server, twin] = await Promise.all([children.server('tcp', ['--rate', '0']), children.server('tcp', ['--rate', '0'], true)]);
    const worker = children.worker();
    // Until taskset has set the mask and exec'd node, the pid is taskset's: wait for node's own command line.
    const pid = worker.child.pid!;
    for (let i = 0; i < 100 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('taskset'); i++) await sleep(50);
    expect(server.ready.pid).toBe(server.child.pid); // taskset execs the server: the pid is the server's
    expect(allowed(server.ready.pid)).toBe(pinning.server!.join(','));
    expect(allowed(twin.ready.pid)).toBe(pinning.generator!.join(','));
    expect(allowed(pid)).toBe(pinning.generator!.join(','));
  });
});
