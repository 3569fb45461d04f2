// The heatmaps page: rebuilds a recorded page view in the player's
// script-less sandbox (stage.js), shows the whole page, and draws the
// heatmap over it from GET /api/v1/sites/<id>/heatmaps/:
//   click:  dots on each clicked element, found by its selector, at the
//           clicks' places in its box (so any window size lands on it);
//   scroll: ten bands, each with the share of page views that saw it;
//   move:   cells where pointers lingered.
// Markup: <div id="hs-heatmap" data-events-url data-data-url data-at data-kind>
//           <p data-testid="heatmap-status"></p><div class="heatmap-stage"></div></div>
import { animationsAt } from './animations.js';
import { replayable } from './api.js';
import { followMedia } from './media.js';
import { useRelay } from './relay.js';
import { createReplayer } from './stage.js';

const MAX_HEIGHT = 30000; // px of page shown at most
const HEAT = (alpha) => `rgba(232, 89, 12, ${alpha.toFixed(3)})`;

async function getJson(url) {
  const answer = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!answer.ok) throw new Error(`${answer.status} from ${url}`);
  return answer.json();
}

const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)));

function box(doc, left, top, width, height, testid, extra = {}) {
  const el = doc.createElement('div');
  el.dataset.testid = testid;
  Object.assign(el.dataset, extra);
  Object.assign(el.style, {
    position: 'absolute', left: `${left}px`, top: `${top}px`, width: `${width}px`, height: `${height}px`, boxSizing: 'border-box',
  });
  return el;
}

function drawClicks(doc, layer, data) {
  const max = Math.max(1, ...data.elements.flatMap((e) => e.cells.map((c) => c.count)));
  let missing = 0;
  for (const element of data.elements) {
    let target = null;
    try {
      target = doc.querySelector(element.selector);
    } catch (e) {
      target = null;
    }
    if (!target) {
      missing += element.count;
      continue;
    }
    const r = target.getBoundingClientRect();
    const outline = box(doc, r.left, r.top, r.width, r.height, 'heat-element', { selector: element.selector, count: String(element.count) });
    outline.style.outline = `2px solid ${HEAT(0.8)}`;
    layer.append(outline);
    for (const cell of element.cells) {
      const size = 16 + 16 * (cell.count / max);
      const dot = box(doc, r.left + cell.x * r.width - size / 2, r.top + cell.y * r.height - size / 2, size, size, 'click-dot', {
        selector: element.selector,
        count: String(cell.count),
      });
      Object.assign(dot.style, { borderRadius: '50%', background: `radial-gradient(${HEAT(0.35 + 0.6 * (cell.count / max))}, ${HEAT(0)})` });
      layer.append(dot);
    }
  }
  return missing ? `${missing} click${missing === 1 ? '' : 's'} on elements not on this page view.` : '';
}

function drawScroll(doc, layer, data, height) {
  data.depth.forEach((share, i) => {
    const band = box(doc, 0, (i * height) / 10, doc.documentElement.scrollWidth, height / 10, 'scroll-band', { share: String(share) });
    Object.assign(band.style, { background: `rgba(20, 20, 40, ${(0.55 * (1 - share)).toFixed(3)})`, borderTop: `1px dashed ${HEAT(0.9)}` });
    const label = doc.createElement('span');
    label.textContent = `${Math.round(share * 100)}% saw this`;
    Object.assign(label.style, { background: HEAT(0.95), color: '#fff', font: '600 13px system-ui, sans-serif', padding: '2px 6px' });
    band.append(label);
    layer.append(band);
  });
  return '';
}

function drawMoves(doc, layer, data) {
  const width = doc.documentElement.clientWidth / data.columns;
  const max = Math.max(1, ...data.cells.map((c) => c.count));
  for (const cell of data.cells) {
    const el = box(doc, cell.column * width, cell.row * data.row_px, width, data.row_px, 'move-cell', { count: String(cell.count) });
    el.style.background = HEAT(0.1 + 0.6 * (cell.count / max));
    layer.append(el);
  }
  return '';
}

const DRAW = { click: drawClicks, scroll: drawScroll, move: drawMoves };

/** The whole page in the frame, scaled to the stage's width. */
function showWholePage(stage, replayer, doc) {
  const width = doc.documentElement.clientWidth || replayer.iframe.width;
  const height = Math.min(MAX_HEIGHT, Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0));
  replayer.iframe.setAttribute('height', String(height));
  const scale = Math.min(1, stage.clientWidth / width);
  Object.assign(replayer.wrapper.style, { transform: `scale(${scale})`, transformOrigin: '0 0' });
  stage.style.height = `${Math.ceil(height * scale)}px`;
  return height;
}

async function start(root) {
  const status = root.querySelector('[data-testid=heatmap-status]');
  const stage = root.querySelector('.heatmap-stage');
  useRelay(root);
  try {
    const [events, data] = await Promise.all([getJson(root.dataset.eventsUrl), getJson(root.dataset.dataUrl)]);
    if (!events.length) throw new Error('the recording is empty');
    events.sort((a, b) => a.timestamp - b.timestamp);
    replayable(events); // as the player's are: masked fields show their mask
    followMedia()(events); // the visitor's answers to media queries (a dark setting, a phone), as the player gives them
    const replayer = createReplayer(events, stage, { skipInactive: false, speed: 1 });
    const at = Math.max(events[0].timestamp, Number(root.dataset.at));
    replayer.pause(at - events[0].timestamp);
    animationsAt(replayer, at);
    await frame();
    const doc = replayer.iframe.contentDocument;
    const height = showWholePage(stage, replayer, doc);
    await frame();
    const layer = box(doc, 0, 0, doc.documentElement.scrollWidth, height, 'heat-layer');
    Object.assign(layer.style, { pointerEvents: 'none', zIndex: '2147483647' });
    doc.documentElement.append(layer);
    const note = DRAW[root.dataset.kind](doc, layer, data, height);
    status.textContent = note || 'The page as a visitor saw it, with the heatmap over it.';
    root.dataset.ready = 'true';
  } catch (e) {
    status.textContent = `The page could not be rebuilt: ${e.message}`;
    root.dataset.ready = 'failed';
  }
}

const root = document.getElementById('hs-heatmap');
if (root) start(root);
