import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cssRelayed, onSiteHosts, relayed } from '../src/relay.js';

const relay = { url: 'https://hs.example/sites/4/relay/', hosts: ['shop.example.com', '*.cdn.example', 'app.example:8443'] };
const via = (url) => `url("${relay.url}?url=${encodeURIComponent(url)}")`;

test("the site's hosts match as the server's check has them: any port without one, wildcards for subdomains", () => {
  assert.ok(onSiteHosts('https://shop.example.com/f.woff2', relay.hosts));
  assert.ok(onSiteHosts('http://shop.example.com:8080/f.woff2', relay.hosts));
  assert.ok(onSiteHosts('https://cdn.example/f.woff2', relay.hosts));
  assert.ok(onSiteHosts('https://eu.static.cdn.example/f.woff2', relay.hosts));
  assert.ok(onSiteHosts('https://app.example:8443/f.woff2', relay.hosts));
  assert.ok(!onSiteHosts('https://app.example/f.woff2', relay.hosts));
  assert.ok(!onSiteHosts('https://evilshop.example.com/f.woff2', relay.hosts));
  assert.ok(!onSiteHosts('https://fonts.gstatic.com/s/x.woff2', relay.hosts));
  assert.ok(!onSiteHosts('data:font/woff2;base64,AAAA', relay.hosts));
  assert.ok(!onSiteHosts('/relative/f.woff2', relay.hosts));
});

test("only the site's own fonts in @font-face rules go through the relay; other URLs and rules stay", () => {
  const css =
    '@font-face { font-family: Brand; src: url("https://shop.example.com/f/brand.woff2") format("woff2"), ' +
    "url('https://shop.example.com/f/brand.woff') format('woff'), local(Brand); }" +
    '@FONT-FACE{font-family:G;src:url(https://fonts.gstatic.com/s/g.woff2)}' +
    '.hero { background: url(https://shop.example.com/hero.png) } ' +
    '@font-face{font-family:D;src:url(data:font/woff2;base64,d09GMgAB)}';
  assert.equal(
    cssRelayed(css, relay),
    `@font-face { font-family: Brand; src: ${via('https://shop.example.com/f/brand.woff2')} format("woff2"), ` +
      `${via('https://shop.example.com/f/brand.woff')} format('woff'), local(Brand); }` +
      '@FONT-FACE{font-family:G;src:url(https://fonts.gstatic.com/s/g.woff2)}' +
      '.hero { background: url(https://shop.example.com/hero.png) } ' +
      '@font-face{font-family:D;src:url(data:font/woff2;base64,d09GMgAB)}',
  );
});

test('every place rrweb carries CSS is rewritten: snapshot, added style, text change, inserted rule, adopted sheet', () => {
  const face = '@font-face{font-family:B;src:url(https://shop.example.com/b.woff2)}';
  const rewritten = `@font-face{font-family:B;src:${via('https://shop.example.com/b.woff2')}}`;
  const style = (id) => ({ type: 2, tagName: 'style', id, attributes: { _cssText: face }, childNodes: [{ type: 3, id: id + 1, textContent: face, isStyle: true }] });
  const snapshot = { type: 2, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: [style(2)] } } };
  const added = { type: 3, timestamp: 2, data: { source: 0, texts: [{ id: 3, value: face }], removes: [], attributes: [], adds: [{ parentId: 1, nextId: null, node: style(9) }] } };
  const rule = { type: 3, timestamp: 3, data: { source: 8, id: 2, adds: [{ rule: face, index: 0 }] } };
  const adopted = { type: 3, timestamp: 4, data: { source: 15, id: 1, styleIds: [1], styles: [{ styleId: 1, rules: [{ rule: face }] }] } };
  const input = { type: 3, timestamp: 5, data: { source: 5, id: 7, text: face, isChecked: false } };
  relayed([snapshot, added, rule, adopted, input], relay);
  const sheet = snapshot.data.node.childNodes[0];
  assert.equal(sheet.attributes._cssText, rewritten);
  assert.equal(sheet.childNodes[0].textContent, rewritten);
  assert.equal(added.data.texts[0].value, rewritten);
  assert.equal(added.data.adds[0].node.attributes._cssText, rewritten);
  assert.equal(rule.data.adds[0].rule, rewritten);
  assert.equal(adopted.data.styles[0].rules[0].rule, rewritten);
  assert.equal(input.data.text, face, "what the visitor typed is not CSS, whatever it says");
});

test('without a relay (a site that keeps its resources out of replays) nothing changes', () => {
  const face = '@font-face{font-family:B;src:url(https://shop.example.com/b.woff2)}';
  const e = { type: 3, timestamp: 3, data: { source: 8, id: 2, adds: [{ rule: face, index: 0 }] } };
  relayed([e], null);
  relayed([e], { url: relay.url, hosts: [] });
  assert.equal(e.data.adds[0].rule, face);
});

test('a page thousands of elements deep is walked without recursion', () => {
  let node = { type: 2, tagName: 'style', id: 1, attributes: { _cssText: '@font-face{src:url(https://shop.example.com/x.ttf)}' }, childNodes: [] };
  const deepest = node;
  for (let id = 2; id < 30000; id++) node = { type: 2, tagName: 'div', id, attributes: {}, childNodes: [node] };
  relayed([{ type: 2, timestamp: 1, data: { node } }], relay);
  assert.ok(deepest.attributes._cssText.includes(relay.url));
});

test("a <use>'s sprite of the site goes through the relay, its symbol kept; others stay, as written and as changed", () => {
  const use = (id, attributes) => ({ type: 2, tagName: 'use', id, isSVG: true, attributes, childNodes: [] });
  const svg = { type: 2, tagName: 'svg', id: 2, isSVG: true, attributes: {}, childNodes: [
    use(3, { href: 'https://shop.example.com/icons.svg#cart' }),
    use(4, { 'xlink:href': 'https://shop.example.com/icons.svg' }),
    use(5, { href: '#local' }),
    use(6, { href: 'https://icons.other.example/i.svg#x' }),
  ] };
  const snapshot = { type: 2, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: [svg] } } };
  const change = { type: 3, timestamp: 2, data: { source: 0, texts: [], removes: [],
    adds: [{ parentId: 2, nextId: null, node: use(7, { href: 'https://shop.example.com/icons.svg#new' }) }],
    attributes: [{ id: 3, attributes: { href: 'https://shop.example.com/icons.svg#close' } },
      { id: 9, attributes: { href: 'https://shop.example.com/page' } }] } };
  relayed([snapshot, change], relay, new Set());
  const [a, b, c, d] = svg.childNodes.map((n) => n.attributes);
  const via = (file) => `${relay.url}?url=${encodeURIComponent(file)}`;
  assert.equal(a.href, via('https://shop.example.com/icons.svg') + '#cart');
  assert.equal(b['xlink:href'], via('https://shop.example.com/icons.svg'));
  assert.equal(c.href, '#local');
  assert.equal(d.href, 'https://icons.other.example/i.svg#x');
  assert.equal(change.data.adds[0].node.attributes.href, via('https://shop.example.com/icons.svg') + '#new');
  assert.equal(change.data.attributes[0].attributes.href, via('https://shop.example.com/icons.svg') + '#close');
  assert.equal(change.data.attributes[1].attributes.href, 'https://shop.example.com/page', 'not a <use>: a link stays');
});
