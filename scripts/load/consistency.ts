/**
 * The runner's checks of its own figures (types.ts ConsistencyCheck): what no honest measurement can show, or what makes
 * a figure not worth reading, each reported with the step ids so the report can say which points to doubt.
 */
import { TRANSPORTS } from '../../servers/transports.ts';
import { FLOOR } from './capabilities.ts';
import { formatSpread } from './repeats.ts';
import type { ConsistencyCheck, StepResult } from './types.ts';

/** The generator may spend at most this share of the server's CPU per delivery, or it may be what set the pace. */
export const GENERATOR_SHARE = 0.5;
/**
 * A worker below this many cores had most of its core idle: it cannot have set the pace, whatever a delivery cost it. At
 * 1 quote/s a read finds one quote (or a few, batched), and its fixed cost of a wake-up, a read and an ACK can come near
 * the server's; there the figure is kept and not flagged.
 */
export const GENERATOR_PACE_CORES = 0.5;

/** The same step of another transport: same phase, N, rate, padding, TLS and proxy. */
const sameStep = (a: StepResult, b: StepResult) =>
  a.phase === b.phase &&
  a.clients === b.clients &&
  a.rate === b.rate &&
  a.padding === b.padding &&
  a.tls === b.tls &&
  a.proxy?.profile === b.proxy?.profile;

export function checkFigures(steps: readonly StepResult[]): ConsistencyCheck[] {
  const checks: ConsistencyCheck[] = [];
  const measured = steps.filter((s) => s.status !== 'failed' && s.server.messagesSent !== null);
  for (const step of measured) {
    const label = TRANSPORTS[step.transport].label;
    if (!step.server.cpuJudged) {
      checks.push({
        kind: 'too-few-deliveries',
        stepId: step.id,
        against: null,
        message:
          `${label} at ${step.clients} clients, ${step.rate} quotes/s: the server wrote ${step.server.messagesSent} quotes in a ` +
          'window, too few to judge its CPU per delivery; its CPU figures are left out of the CPU charts and checks',
      });
      continue;
    }
    const server = step.repeats?.spread.cpuMsPer1kDeliveries;
    const generator = step.generator.usPerDelivery;
    const serverUs = step.server.cpuMsPer1kDeliveries;
    const couldSetPace = step.phase === 'ramp' || (step.generator.maxCores ?? 0) >= GENERATOR_PACE_CORES;
    if (couldSetPace && generator !== null && serverUs !== null && generator > serverUs * GENERATOR_SHARE)
      checks.push({
        kind: 'generator-heavy',
        stepId: step.id,
        against: null,
        message:
          `${label} at ${step.clients} clients, ${step.rate} quotes/s: the generator spent ${generator.toFixed(1)} µs per delivery, ` +
          `more than ${GENERATOR_SHARE} of the server's ${serverUs.toFixed(1)} µs`,
      });
    const floor = FLOOR !== null && step.transport !== FLOOR ? measured.find((s) => s.transport === FLOOR && sameStep(s, step)) : undefined;
    const floorCpu = floor?.server.cpuJudged ? floor.repeats?.spread.cpuMsPer1kDeliveries : undefined;
    if (floor && server && floorCpu && server.max < floorCpu.min)
      checks.push({
        kind: 'cheaper-than-floor',
        stepId: step.id,
        against: floor.id,
        message:
          `${label} at ${step.clients} clients, ${step.rate} quotes/s: server CPU ${formatSpread(server, 2)} ms per 1,000 deliveries, ` +
          `below the raw-TCP floor's ${formatSpread(floorCpu, 2)} beyond both spreads, writing ${step.server.bytesPerDelivery} B per ` +
          `quote against the floor's ${floor.server.bytesPerDelivery} B`,
      });
  }
  return checks;
}
