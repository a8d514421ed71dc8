/**
 * What must not outlive this process (nginx, Redis, cluster nodes, a capture, a load run's children), killed on its way
 * out: one 'exit' listener however many children run at once, so the scenarios' parallel cases and the demo's clusters
 * never trip Node's listener-leak warning. Hooks run synchronously, as 'exit' requires.
 */
const hooks = new Set<() => void>();

function runHooks(): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // one failed kill must not leave the others undone
    }
  }
}

/** Runs `hook` if this process exits while it is registered; the returned function unregisters it. */
export function onProcessExit(hook: () => void): () => void {
  if (hooks.size === 0) process.on('exit', runHooks);
  hooks.add(hook);
  return () => {
    if (hooks.delete(hook) && hooks.size === 0) process.off('exit', runHooks);
  };
}
