// A tiny element builder. Recorded content (URLs, titles, console messages,
// page text) is untrusted: it only ever reaches the DOM as text nodes or
// attribute values through this helper, never through innerHTML.

/**
 * h('button', {class: 'x', onclick: fn, 'data-testid': 'play'}, 'Play')
 * Attributes starting with "on" become listeners; null/false attributes are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function setChildren(el, ...children) {
  el.textContent = '';
  append(el, children);
}
