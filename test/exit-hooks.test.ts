/**
 * The process's exit hooks: one 'exit' listener however many children are registered, gone with the last of them, and
 * every registered hook run (one that throws does not stop the others).
 */
import { describe, expect, it } from 'vitest';
import { onProcessExit } from '../servers/exit-hooks.ts';

describe('onProcessExit', () => {
  it('holds one exit listener for any number of hooks, and none once all are forgotten', () => {
    const before = process.listenerCount('exit');
    const forget = Array.from({ length: 20 }, () => onProcessExit(() => undefined));
    expect(process.listenerCount('exit')).toBe(before + 1);
    for (const f of forget.slice(0, 19)) f();
    expect(process.listenerCount('exit')).toBe(before + 1);
    forget[19]!();
    forget[19]!(); // twice is harmless
    expect(process.listenerCount('exit')).toBe(before);
  });

  it('runs every registered hook on exit, past one that throws, and not a forgotten one', () => {
    const ran: string[] = [];
    const forgetA = onProcessExit(() => {
      ran.push('a');
      throw new Error('kill failed');
    });
    const forgetB = onProcessExit(() => ran.push('b'));
    const forgetC = onProcessExit(() => ran.push('c'));
    forgetC();
    // The registry's one listener (exit-hooks.ts runHooks), whatever else listens for 'exit'.
    const listener = process.listeners('exit').find((l) => l.name === 'runHooks') as (code: number) => void;
    listener(0);
    expect(ran).toEqual(['a', 'b']);
    forgetA();
    forgetB();
  });
});
