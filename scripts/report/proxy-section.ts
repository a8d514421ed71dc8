/**
 * "Behind a proxy": the nginx profiles every proxied record ran with, shown whole, next to what
 * the proxy scenarios and the load runner measured through them. The claims the scenarios decide
 * (sse-needs-no-special-server, proxies-buffer-sse, gzip-undoes-base64-overhead, and the heartbeat
 * claim per intermediary) have their own sections; this one puts the proxy's evidence in one place.
 */
import { readFileSync } from 'node:fs';
import { PROXY_PROFILES, type ProxyProfile } from '../../servers/proxy/profiles.ts';
import { ROOT } from '../lib/paths.ts';
import type { Block, Section } from './blocks.ts';
import type { ChartSpec } from './charts.ts';
import type { ReportInputs } from './inputs.ts';
import { proxyLoadSection } from './proxy-load.ts';
import { proxyPathCharts, proxyPathTables } from './proxy-path.ts';
import { proxyTrafficCharts, proxyTrafficTables } from './proxy-traffic.ts';

const PROFILE_WHAT: Record<ProxyProfile, string> = {
  stock: 'what people write first: one `proxy_pass` line and nginx’s defaults',
  tuned: 'what nginx’s documentation recommends for real-time traffic',
  gzip: 'tuned, plus gzip for event streams and JSON',
  h2: 'tuned, with TLS and HTTP/2 towards the browser',
};

/** Each profile as kept in the repo: `{{listen}}`, `{{upstream}}` and the certificate paths are filled in per run. */
function profileBlocks(): Block[] {
  return PROXY_PROFILES.map((profile) => {
    const file = `servers/proxy/profiles/${profile}.conf`;
    return {
      kind: 'details',
      summary: `\`${profile}\` — ${PROFILE_WHAT[profile]}`,
      blocks: [{ kind: 'code', file, line: 1, code: readFileSync(`${ROOT}${file}`, 'utf8').trimEnd() }],
    };
  });
}

/**
 * The section and the charts it adds to the report. The scenarios' charts are drawn in the section
 * of the claim each bears on and linked from here; the load block places its own.
 */
export function proxySection(inputs: ReportInputs): { section: Section; charts: ChartSpec[] } {
  const scenarios = inputs.scenarios;
  const scenarioCharts = scenarios ? [...proxyPathCharts(scenarios), ...proxyTrafficCharts(scenarios)] : [];
  const chartLinks: Block[] = scenarioCharts.map((c) => ({ kind: 'p', text: `Chart: [${c.title}](#fig-${c.id}).` }));
  const load = proxyLoadSection(inputs);
  const section: Section = {
    id: 'behind-a-proxy',
    title: 'Behind a proxy',
    blocks: [
      {
        kind: 'p',
        text:
          'Every record below ran through a real nginx (Debian’s package, started and stopped by the lab) between the ' +
          'browser or the load generator and the lab server, with one of four configurations. `npm run --silent server -- ' +
          '<transport> --proxy <profile>` starts the same pair by hand. nginx speaks HTTP/1.x to the server behind it, so ' +
          'SSE over HTTP/2 reaches a browser through nginx as the `h2` profile in front of the HTTP/1.1 SSE server, and the ' +
          'raw TCP floor stays direct.',
      },
      ...profileBlocks(),
      ...(scenarios ? [...proxyPathTables(scenarios), ...proxyTrafficTables(scenarios)] : []),
      ...chartLinks,
      ...load.blocks,
    ],
  };
  return { section, charts: [...scenarioCharts, ...load.charts] };
}
