/** Charts built from the scenario records (filled in once the scenario schema settles). */
import type { ScenariosFile } from '../../scenarios/types.ts';
import type { ChartSpec } from './charts.ts';

export function scenarioCharts(_scenarios: ScenariosFile): ChartSpec[] {
  return [];
}
