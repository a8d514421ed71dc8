/**
 * The decision guide ("Which should I use?") on the committed example results: a row per situation, every reason
 * worded from the figures of the claims it links to (so changing a figure changes the row), and a row whose figures
 * are missing says "not measured" instead of a reason. The glossary after it points only at sections the report has;
 * each exercise sits in a section the report has, in view, with its answer collapsed.
 */
import { describe, expect, it } from 'vitest';
import { fixture, reportInputs } from './helpers.ts';
import type { ScenariosFile } from '../scenarios/types.ts';
import { CLAIMS, type ClaimsFile } from '../scripts/lib/claims.ts';
import { basicsSection } from '../scripts/report/basics.ts';
import { decisionGuide } from '../scripts/report/decision-guide.ts';
import { EXERCISE_SECTIONS } from '../scripts/report/exercises.ts';
import type { Block } from '../scripts/report/blocks.ts';
import type { ReportInputs } from '../scripts/report/inputs.ts';
import { buildModel } from '../scripts/report/model.ts';
import { renderMarkdown } from '../scripts/report/markdown.ts';

function inputs(claims = fixture<ClaimsFile>('example-claims.json')): ReportInputs {
  return reportInputs({ claims, scenarios: fixture<ScenariosFile>('example-scenarios.json') });
}

const rowsOf = (i: ReportInputs) => {
  const table = decisionGuide(i).blocks.find((b) => b.kind === 'table');
  if (table?.kind !== 'table') throw new Error('no table');
  return table.rows.map((r) => r.map(String));
};

describe('decision guide', () => {
  it('has a row per situation, each with a choice, a measured reason and links to existing claims', () => {
    const rows = rowsOf(inputs());
    expect(rows).toHaveLength(8);
    const ids = new Set(CLAIMS.map((c) => c.id));
    for (const [situation, choice, why, evidence] of rows) {
      expect(choice, situation).toMatch(/^\*\*.+\*\*$/);
      expect(why, situation).not.toContain('Not measured in these results');
      expect(why, situation).toMatch(/\d/);
      const links = [...evidence!.matchAll(/\(#claim-([\w-]+)\)/g)].map((m) => m[1]!);
      expect(links.length, situation).toBeGreaterThan(0);
      for (const id of links) expect(ids.has(id as never), id).toBe(true);
    }
  });

  it("words each reason from the claims' figures: a changed figure changes the row", () => {
    const claims = fixture<ClaimsFile>('example-claims.json');
    const limit = claims.claims['sse-six-connections-per-origin']!;
    const before = rowsOf(inputs(claims)).find(([s]) => s!.startsWith('Many tabs'))!;
    expect(before[2]).toContain(`only ${limit.figures!['chromium.http1Opened']} of ${limit.figures!['chromium.asked']} EventSources`);
    limit.figures!['chromium.http1Opened'] = 5;
    const after = rowsOf(inputs(claims)).find(([s]) => s!.startsWith('Many tabs'))!;
    expect(after[2]).toContain('only 5 of');
  });

  it('says "not measured" for a row whose figures these results lack, and still gives the others', () => {
    const claims = fixture<ClaimsFile>('example-claims.json');
    delete claims.claims['sse-base64-costs-bandwidth'];
    const rows = rowsOf(inputs(claims));
    const binary = rows.find(([s]) => s!.startsWith('Binary'))!;
    expect(binary[2]).toBe('Not measured in these results (sse-base64-costs-bandwidth: ws 65536).');
    expect(rows.filter(([, , why]) => why!.startsWith('Not measured'))).toHaveLength(1);
  });
});

describe('basics and glossary', () => {
  it('open the report after the guide, and every glossary link lands on a section of the report', () => {
    const model = buildModel({ ...inputs(), wire: fixture<ReportInputs['wire']>('example-wire.json') });
    expect(model.sections.slice(0, 2).map((s) => s.id)).toEqual(['decision-guide', 'basics']);
    const ids = new Set(model.sections.map((s) => s.id));
    const links = [...JSON.stringify(model.sections[1]).matchAll(/\]\(#([\w-]+)\)/g)].map((m) => m[1]!);
    expect(links).toHaveLength(9);
    for (const id of links) expect(ids.has(id), id).toBe(true);
    // Without the wire capture its section is gone, and so are the two links to it.
    expect(JSON.stringify(basicsSection(new Set([...ids].filter((id) => id !== 'wire'))))).not.toContain('(#wire)');
  });
});

describe('exercises', () => {
  it('sit in sections the report has, folded before the collapsed evidence, each with its answer folded once more', () => {
    const model = buildModel({ ...inputs(), wire: fixture<ReportInputs['wire']>('example-wire.json') });
    for (const id of EXERCISE_SECTIONS) {
      const section = model.sections.find((s) => s.id === id);
      expect(section, id).toBeDefined();
      const at = section!.blocks.findIndex((b) => b.kind === 'details' && b.summary === 'Try it yourself');
      expect(at, id).toBeGreaterThanOrEqual(0);
      const exercise = section!.blocks[at] as Extract<Block, { kind: 'details' }>;
      expect(exercise.blocks[0], id).toMatchObject({ kind: 'p', text: expect.stringMatching(/^Run .+ Look for /) });
      expect(exercise.blocks[1], id).toMatchObject({ kind: 'details', summary: 'Answer' });
      // Nothing but the section's last fold (its evidence, or the diagrams the handshakes fold) after it.
      const after = section!.blocks.slice(at + 1);
      expect(after.length, id).toBeLessThanOrEqual(1);
      if (after.length) expect(after[0]!.kind, id).toBe('details');
    }
  });
});

describe('the Markdown', () => {
  it('mirrors the report: every section in the same order, the folds as <details>, the diagrams as text', () => {
    const model = buildModel({ ...inputs(), wire: fixture<ReportInputs['wire']>('example-wire.json') });
    const markdown = renderMarkdown(model, null, 'test run');
    const headings = [...markdown.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(model.sections.map((s) => s.title));
    for (const s of model.sections) expect(markdown, s.id).toContain(`<a id="${s.id}"></a>`);
    expect(markdown.match(/<details><summary>Try it yourself<\/summary>/g)).toHaveLength(EXERCISE_SECTIONS.length);
    expect(markdown).toContain('<details><summary>Words the report uses (glossary)</summary>');
    expect(markdown).toMatch(/#1 {2}browser → server {2}GET \/ws/);
    // The records in full stay in the HTML; the Markdown says where they are.
    expect(markdown).toMatch(/Each record in full: in \[report\.html\]\(\.\/report\.html#claim-[\w-]+\)\./);
    // Every anchor once (a chart is drawn where it first appears, later uses link to it), and every link lands on one.
    const anchors = [...markdown.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]);
    expect(new Set(anchors).size).toBe(anchors.length);
    for (const [, target] of markdown.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors, target).toContain(target);
  });
});
