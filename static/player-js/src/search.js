// "Find in recording": searches the text the visitor had on screen and lists
// the moments where the query appeared.
import { h, setChildren } from './dom.js';
import { formatClock } from './format.js';
import { createIndex, indexEvents, searchIndex } from './textindex.js';

const DEBOUNCE_MS = 200;

export function createSearch({ onJump }) {
  let index = null;
  let unindexed = []; // event batches not indexed yet: the index is built on first use
  let timer = null;
  const input = h('input', {
    type: 'search',
    id: 'hsp-search',
    class: 'hsp-search-input',
    placeholder: 'Text seen in the recording',
    autocomplete: 'off',
    spellcheck: 'false',
    'data-testid': 'search-input',
  });
  const status = h('p', { class: 'hsp-search-status', role: 'status' });
  const results = h('ol', { class: 'hsp-list hsp-search-results', 'aria-label': 'Search results' });
  const el = h(
    'section',
    { class: 'hsp-search', role: 'search' },
    h('label', { for: 'hsp-search', class: 'hsp-search-label' }, 'Search in recording'),
    input,
    status,
    results,
  );

  function run() {
    clearTimeout(timer);
    const query = input.value.trim();
    if (!query) {
      status.textContent = '';
      setChildren(results);
      return;
    }
    for (const events of unindexed) indexEvents(index, events);
    unindexed = [];
    const found = index ? searchIndex(index, query) : [];
    status.textContent = found.length ? `${found.length} moment${found.length === 1 ? '' : 's'} found` : 'Not found in this recording.';
    setChildren(
      results,
      found.map((r) =>
        h(
          'li',
          null,
          h(
            'button',
            {
              type: 'button',
              class: 'hsp-row',
              'data-testid': 'search-result',
              'data-time': String(r.time),
              onclick: () => onJump(r.time),
            },
            h('span', { class: 'hsp-row-time' }, formatClock(r.time)),
            h(
              'span',
              { class: 'hsp-row-body hsp-snippet' },
              // (the page's words in the direction of their own script, as the other panels' are)
              h('span', { class: 'hsp-snippet-text', dir: 'auto' }, r.snippet[0], h('mark', null, r.snippet[1]), r.snippet[2]),
              r.more ? h('span', { class: 'hsp-more' }, ` (+${r.more} more)`) : null,
            ),
          ),
        ),
      ),
    );
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      run();
    }
  });

  return {
    el,
    /** The whole recording (sorted), or more of it as live events arrive. */
    addEvents(events, startTime) {
      if (!index) index = createIndex(startTime);
      unindexed.push(events);
      if (input.value.trim()) run();
    },
    /** Start over with these events (the recording was replayed anew with its earlier parts). */
    reset(events, startTime) {
      index = null;
      unindexed = [];
      this.addEvents(events, startTime);
    },
  };
}
