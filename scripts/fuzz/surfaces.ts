/** Every fuzzed surface, in campaign order, and selection by name or family (`http-target` = all its targets). */
import { ENGINE_SURFACES } from './surface-engineio.ts';
import { HEADER_SURFACES } from './surface-headers.ts';
import { PING_SURFACES } from './surface-ping.ts';
import { QUERY_SURFACES } from './surface-query.ts';
import { TARGET_SURFACES } from './surface-targets.ts';
import { UPGRADE_SURFACES } from './surface-upgrade.ts';
import { WS_FRAME_SURFACES } from './surface-ws-frames.ts';
import { WS_MESSAGE_SURFACES } from './surface-ws-messages.ts';
import type { AnySurface } from './surface.ts';

export const SURFACES: readonly AnySurface[] = [
  ...TARGET_SURFACES,
  ...HEADER_SURFACES,
  ...QUERY_SURFACES,
  ...PING_SURFACES,
  ...UPGRADE_SURFACES,
  ...WS_MESSAGE_SURFACES,
  ...WS_FRAME_SURFACES,
  ...ENGINE_SURFACES,
];

/** The surfaces these names pick (a full name, or a family before the colon); all for none. Unknown names throw. */
export function selectSurfaces(names: readonly string[]): AnySurface[] {
  if (names.length === 0) return [...SURFACES];
  const picked = new Set<AnySurface>();
  for (const name of names) {
    const matches = SURFACES.filter((s) => s.name === name || s.name.split(':')[0] === name);
    if (matches.length === 0)
      throw new Error(`lab: unknown surface ${JSON.stringify(name)}; one of ${SURFACES.map((s) => s.name).join(', ')}`);
    for (const match of matches) picked.add(match);
  }
  return SURFACES.filter((s) => picked.has(s));
}
