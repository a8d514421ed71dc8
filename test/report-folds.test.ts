/**
 * How the report folds its text: a paragraph's opening stays in view by whole sentences and never ends inside a code
 * span, a bold run or a link; nothing is lost or repeated between the opening and the fold.
 */
import { describe, expect, it } from 'vitest';
import { leadSentences } from '../scripts/report/blocks.ts';

describe('leadSentences', () => {
  it('keeps whole sentences up to the word count and folds the rest, losing nothing', () => {
    const text = 'One two three. Four five six. Seven eight.';
    expect(leadSentences(text, 1)).toEqual(['One two three.', 'Four five six. Seven eight.']);
    expect(leadSentences(text, 4)).toEqual(['One two three. Four five six.', 'Seven eight.']);
    expect(leadSentences(text, 50)).toEqual([text, '']);
  });

  it('does not end a sentence inside a code span, a bold run or a link', () => {
    expect(leadSentences('Send `retry: 1. Then` twice. Next one.', 1)).toEqual(['Send `retry: 1. Then` twice.', 'Next one.']);
    expect(leadSentences('A **bold. Run** here. Next one.', 1)).toEqual(['A **bold. Run** here.', 'Next one.']);
    expect(leadSentences('See [part A. Part B](#x) first. Next one.', 1)).toEqual(['See [part A. Part B](#x) first.', 'Next one.']);
  });

  it('needs a capital, bracket, quote or markup after the stop: a number or lower case goes on', () => {
    expect(leadSentences('It took 1.5 s, e.g. more. Then it stopped.', 1)).toEqual(['It took 1.5 s, e.g. more.', 'Then it stopped.']);
  });
});
