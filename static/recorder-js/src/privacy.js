import { B } from './clean.js'
import { FILL } from './capture/fills.js'
import { STATE } from './capture/states.js'
import { VALID } from './capture/validity.js'
import { crossable, hasLongNumber, maskCards } from './luhn.js'
import { pageUrl, paramsMasked, secretName, urlMasks } from './urls.js'

// Privacy rules, applied in the browser so that nothing they forbid is sent.
// Ignore: rrweb blocks the element (the replay shows an empty box of its size).
// Mask: text becomes same-length `*`, and so do input values and the
// attributes that carry text. Unmask only exempts inputs (and rich-text
// editors) from maskAllInputs; secret fields (passwords, one-time codes, card
// fields) can never be unmasked. A contenteditable element is an input to the
// visitor: with maskAllInputs its text is masked.
// (and rrweb's own classes, which rrweb would otherwise test apart)
const IGNORE = '.inspectletIgnore,.hindsight-ignore,.rr-block'
const MASK = '.inspectlet-sensitive,.hindsight-mask,.rr-mask'
const UNMASK = '.inspectlet-whitelist,.hindsight-unmask'
const EDITABLE = '[contenteditable]:not([contenteditable=false])'
// In a masked area every attribute that may carry text is masked: all but
// these, which lay the page out or point at its resources (and rrweb's own).
// SVG has too many of those: there only the ones that carry text.
const LAYOUT_ATTRS =
  /^(class|id|style|type|role|rel|href|src|srcset|sizes|media|as|crossorigin|integrity|width|height|tabindex|dir|lang|hidden|disabled|checked|selected|readonly|required|multiple|open|for|name|contenteditable|draggable|autocomplete|maxlength|minlength|min|max|step|size|cols|rows|span|colspan|rowspan|loading|decoding|charset|http-equiv|xmlns.*|rr_.*|_.*)$/i
const SVG_TEXT_ATTRS = /^(data-|aria-|title$|alt$|label$|content$)/i
// (and ours that say what a Web Animation holds, styles, capture/fills.js; a field's validity, which says
// no more of its value than valid or invalid, capture/validity.js; and a custom element's states, names
// its author gave as a class's, capture/states.js)
const textAttr = (a, svg) => a !== FILL && a !== VALID && a !== STATE && (svg ? SVG_TEXT_ATTRS.test(a) : !LAYOUT_ATTRS.test(a))
// Attributes that hold a URL, which rrweb writes absolute (a link to the page's own `#top` holds
// the page's whole address): the values of parameters that carry credentials are masked, and JSON Web
// Tokens (urls.js).
const URL_ATTRS = new Set(['href', 'src', 'srcset', 'action', 'formaction', 'poster', 'data', 'xlink:href', 'background'])
// Attributes that never hold text a person reads, only numbers and the addresses of what the page shows:
// a coordinate such as 186.87050846691056 passes the Luhn check one time in ten (privacy/scrub.py).
const DRAWN =
  /^(style|_cssText|d|points|transform|gradientTransform|patternTransform|viewBox|[xy][12]?|c[xy]|r[xy]?|d[xy]|width|height|offset|rotate|values|keyTimes|keySplines|pathLength|stroke-dash(array|offset)|src|srcset|poster|background|xlink:href)$/
// A <meta> whose name says it holds a credential (Spring's `_csrf`, an `api-key`): its content is masked.
// (rrweb leaves out `csrf-token` and the like itself: slimDOMOptions.)
const secretMeta = (a) => typeof a.content === 'string' && typeof a.name === 'string' && secretName(a.name)
const SECRET_AUTOCOMPLETE = /(^|\s)(one-time-code|cc-number|cc-csc|cc-exp\S*|current-password|new-password)(\s|$)/i
const CARD_NAME = /card.?num|cc.?num|cvc|cvv|csc|security.?code|exp(iry|iration)?/i
// Every type listed, so that rrweb asks maskInputFn about every field and
// the decision (including the card-number check) is ours.
const INPUT_TYPES =
  'color date datetime-local email month number range search tel text time url week textarea select password hidden file'

export const stars = (s) => '*'.repeat(s.length)
export const starText = (s) => s.replace(/\S/g, '*')

// The site's selector lists are validated: an invalid selector would make
// rrweb's matches() throw and silently match nothing. Invalid parts are left out.
export function joinSelectors(base, extra, isValid) {
  extra = (extra || '').trim()
  if (!extra) return base
  if (isValid(extra)) return base + ',' + extra
  return [base].concat(extra.split(',').filter((p) => p.trim() && isValid(p))).join(',')
}

export function createPrivacy(cfg, doc, getMirror) {
  const frag = doc.createDocumentFragment()
  const isValid = (s) => {
    try {
      frag.querySelector(s)
      return true
    } catch (e) {
      return false
    }
  }
  const ignoreSel = joinSelectors(IGNORE, cfg.ignoreSelectors, isValid)
  const maskSel = joinSelectors(MASK, cfg.maskSelectors, isValid)
  const textMaskSel = cfg.maskAllText ? '*' : maskSel
  // closest() across shadow roots and same-origin iframes: what a component
  // renders in its shadow root, or a frame shows, is part of the element that
  // holds it.
  const up = (n) => {
    const r = n.getRootNode()
    return r.host || (r !== doc && r.defaultView && r.defaultView.frameElement)
  }
  const closestDeep = (el, sel) => {
    for (; el; el = up(el)) if (el.closest(sel)) return true
    return false
  }
  // Set once the page has shown a shadow root or a frame (scrub's walk sees
  // it in the snapshot or a change before any change inside it).
  let nested = false
  const unmaskSel = joinSelectors(UNMASK, cfg.unmaskSelectors, isValid)
  // rrweb asks maskTextFn about text in these; an editor is let through only
  // when unmasked and not inside a masked area.
  const rrwebTextSel = cfg.maskAllInputs ? textMaskSel + ',' + EDITABLE : textMaskSel
  function maskText(text, el) {
    try {
      if (el && !closestDeep(el, textMaskSel) && closestDeep(el, unmaskSel)) return text
    } catch (e) {}
    return starText(text)
  }

  // "Show password" toggles turn a password field into a text field: remember
  // every element that was ever a password. takeRecords() in isSecret catches
  // a type change made in the same task as the value change.
  const wasPassword = new WeakSet()
  const note = (records) => {
    for (const r of records) if ((r.oldValue || '').toLowerCase() === 'password') wasPassword.add(r.target)
  }
  const watcher = new MutationObserver(note)
  watcher.observe(doc, { subtree: true, attributes: true, attributeFilter: ['type'], attributeOldValue: true })

  function isSecret(el) {
    note(watcher.takeRecords())
    const type = (el.type || '').toLowerCase()
    if (type === 'password') wasPassword.add(el)
    const attr = (n) => el.getAttribute(n) || ''
    return (
      wasPassword.has(el) ||
      type === 'hidden' ||
      type === 'file' || // its value is "C:\fakepath\<the file's name>"
      el.hasAttribute('data-rr-is-password') ||
      SECRET_AUTOCOMPLETE.test(attr('autocomplete')) ||
      CARD_NAME.test(attr('name')) ||
      CARD_NAME.test(attr('id'))
    )
  }

  function maskInput(text, el) {
    if (!text) return text
    try {
      const masked =
        isSecret(el) ||
        closestDeep(el, maskSel) ||
        (cfg.maskAllInputs && !closestDeep(el, unmaskSel)) ||
        // Typed values are recorded keystroke by keystroke: a card number typed into any field would
        // show its first fifteen digits before the sixteenth made it pass the Luhn check. A whole card
        // number is such a run too (13-19 digits), so this also covers what hasCardNumber finds.
        hasLongNumber(text)
      return masked ? stars(text) : text
    } catch (e) {
      return stars(text) // when in doubt, mask
    }
  }

  // With maskAllInputs a rich-text editor's content is the visitor's input, as its text is: what the
  // elements in it carry in attributes (a mention's name, a pasted image's alt, and a link's address,
  // which an editor makes of a typed e-mail address or URL) is masked, `'input'` below. The editor's
  // own attributes are the page's. (el: an element, or a document: one in design mode is an editor.)
  const editing = (el) => {
    if (!cfg.maskAllInputs || !el) return false
    const doc = el.ownerDocument || el
    const root = el.closest ? el : doc.documentElement
    return !!root && (doc.designMode === 'on' || !!root.closest(EDITABLE)) && !closestDeep(root, unmaskSel)
  }
  const isEditor = (attrs) => typeof attrs.contenteditable === 'string' && attrs.contenteditable !== 'false'
  // rrweb has no hook for attributes: mask text-carrying attributes of
  // elements inside masked areas as events leave rrweb. Whether an element's
  // own attributes are masked, or (inside) those of what it holds: true in a
  // masked area, 'input' in an editor.
  const nodeMasked = (id, inside) => {
    const el = getMirror().getNode(id)
    try {
      if (!el || !el.closest || (nested ? closestDeep(el, textMaskSel) : el.closest(textMaskSel))) return true
      return editing(inside ? el : el.parentElement) && 'input'
    } catch (e) {
      return true
    }
  }
  const nodeMatches = (id) => {
    const el = getMirror().getNode(id)
    try {
      return !el || !el.matches || el.matches(textMaskSel)
    } catch (e) {
      return true
    }
  }
  function maskAttrs(attrs, tag, type, svg, input) {
    // Form values are maskInput's business; keep its decision.
    const formValue = /^(textarea|select)$/i.test(tag) || (/^input$/i.test(tag) && !/^(submit|button|reset)$/i.test(type || ''))
    for (const a in attrs) {
      const v = attrs[a]
      if (typeof v === 'string' && v && (textAttr(a, svg) || (input && a === 'href')) && !(a === 'value' && formValue))
        attrs[a] = starText(v)
    }
  }
  // Card numbers are masked across adjacent text nodes: [[object, key]] in
  // document order.
  function cardScrub(slots, across) {
    const parts = slots.map(([o, k]) => o[k] || '')
    const masked = maskCards(parts, across)
    if (masked !== parts) slots.forEach(([o, k], i) => masked[i] !== parts[i] && (o[k] = masked[i]))
  }
  // rrweb asks closest() whether a changed or added text is in a masked area,
  // and closest() stops at a shadow root or a frame's document (rrweb never
  // asks about a text directly in a shadow root): such text is masked here.
  // Asked only once the page has shown a shadow root or a frame.
  const missedMask = (node) => {
    const el = node.parentElement
    return !el?.closest(textMaskSel) && closestDeep(up(node), textMaskSel)
  }
  // The page's address as hs.page sends it (the site may mask every query value of it), and as
  // rrweb writes it into links to the page's own anchors: `raw` becomes `safe` there too.
  const masks = urlMasks(cfg.urlMaskParams)
  const page = (url) => pageUrl(url, masks.page)
  let seen, raw, safe
  function here() {
    if (doc.URL !== seen) (seen = doc.URL), (raw = seen.split('#')[0]), (safe = page(raw))
  }
  const ownAddress = (v) => safe !== raw && v.startsWith(raw) && (v.length === raw.length || v[raw.length] === '#')
  const linkUrl = (v) => paramsMasked(ownAddress(v) ? safe + v.slice(raw.length) : v, masks.links)
  function urlAttrs(a) {
    // A srcdoc frame's markup holds what its ignore and mask classes cover; rrweb records the frame's
    // DOM (masked) as it does any same-origin frame's, and the player builds the frame from that. (A
    // sandboxed srcdoc frame, which rrweb cannot enter, replays as an empty box, as a cross-origin one.)
    delete a.srcdoc
    for (const k in a) {
      let v = a[k]
      if (typeof v !== 'string') continue
      if (URL_ATTRS.has(k)) v = linkUrl(v)
      // Card numbers in what an attribute says (a saved card's title or alt, a data-* the page keeps it
      // in), as in the page's text; not in what is only drawn (privacy/scrub.py, NUMBERS_ONLY).
      // (A value shorter than a card number has none: the test of most attributes, cheaper than the rule.)
      a[k] = v.length < 13 || DRAWN.test(k) ? v : maskCards([v], false)[0]
    }
  }
  // hs.error: an inline script's errors name the page's address, in `source` and the stack. A page may
  // log what a visitor typed (console.error('declined', cardNumber)): card numbers in it are masked as in
  // the page's text (e-mail addresses, where the site asks, by the server: privacy/scrub.py).
  function error(p) {
    here()
    for (const k of ['message', 'source', 'stack']) {
      p[k] = maskCards([paramsMasked(safe !== raw ? p[k].split(raw).join(safe) : p[k], masks.links)])[0]
    }
    return p
  }

  // known: element id -> whether it is in a masked area, for the elements a change adds.
  function walk(n, masked, texts, star, known) {
    if (n.isShadowHost || n.isShadow || n.rootId) nested = true
    if (n.type === 2) {
      urlAttrs(n.attributes)
      if (n.tagName === 'meta' && secretMeta(n.attributes)) n.attributes.content = stars(n.attributes.content)
      // A field emptied since the page was served shows nothing, yet its `value` attribute (a textarea:
      // its text) still holds what it was served with, a stored password too: rrweb writes the live
      // value only when there is one. The field is written as the visitor sees it: empty.
      const field = (n.tagName === 'input' || n.tagName === 'textarea') && getMirror().getNode(n.id)
      if (field && field.value === '') {
        if (n.attributes.value) n.attributes.value = ''
        for (const c of n.childNodes) c.textContent = ''
      }
      masked = masked === true || nodeMatches(n.id) || masked
      if (masked) maskAttrs(n.attributes, n.tagName, n.attributes.type, n.isSVG, masked === 'input')
      if (!masked && isEditor(n.attributes) && editing(getMirror().getNode(n.id))) masked = 'input'
      if (known) known.set(n.id, masked)
    } else if (n.type === 0 && !masked && editing(getMirror().getNode(n.id))) masked = 'input'
    else if (n.type === 3 && n.textContent && !n.isStyle) {
      if (star) n.textContent = starText(n.textContent)
      texts.push([n, 'textContent'])
    }
    if (n.childNodes) for (const c of n.childNodes) walk(c, masked, texts, star, known)
  }
  const before = (a, b) => {
    const x = getMirror().getNode(a[2])
    const y = getMirror().getNode(b[2])
    return x && y && x.compareDocumentPosition(y) & 2 ? 1 : -1
  }

  // Text typed into a rich-text editor arrives keystroke by keystroke, as an
  // input's value does: a run of more than six digits there is masked (see
  // maskInput).
  const inEditor = (id) => {
    const n = getMirror().getNode(id)
    const el = n && (n.nodeType === 1 ? n : n.parentElement)
    return !!el?.isContentEditable
  }

  // Mutates an rrweb event in place before it is serialised.
  function scrub(e) {
    const d = e.data
    if (e.type === 4) return void (d.href = page(d.href))
    const texts = []
    let across // a change's: worked out before its texts are sorted; a snapshot's (in document order): by maskCards
    if (e.type === 2) here(), walk(d.node, false, texts)
    else if (e.type === 3 && d.source === 0) {
      here()
      // rrweb lists a parent before what it adds into it: a re-rendered table's rows and cells
      // take their parent's answer instead of each asking closest() up to the root. Only an
      // element asks (for its attributes): a text added alone (a cell's new value) has none.
      const known = new Map()
      for (const a of d.adds) {
        const node = nested && getMirror().getNode(a.node.id)
        const masked = a.node.type === 2 && (known.has(a.parentId) ? known.get(a.parentId) : nodeMasked(a.parentId, true))
        walk(a.node, masked, texts, node && missedMask(node), known)
      }
      if (nested)
        for (const t of d.texts) {
          const node = getMirror().getNode(t.id)
          if (node && t.value && missedMask(node)) t.value = starText(t.value)
        }
      for (const a of d.attributes) {
        urlAttrs(a.attributes)
        const el = getMirror().getNode(a.id) || {}
        const svg = el instanceof SVGElement
        // A change of layout attributes only (a style, a class) has nothing to mask.
        const masked = B.keys(a.attributes).some((k) => textAttr(k, svg) || k === 'href') && nodeMasked(a.id)
        if (masked) maskAttrs(a.attributes, el.tagName, el.type, svg, masked === 'input')
      }
      // rrweb lists a mutation's added and changed text in no useful order;
      // sorting costs, and only 13 digits between them can make a card number.
      for (const t of texts) t[2] = t[0].id
      for (const t of d.texts) texts.push([t, 'value', t.id])
      // Order matters only where a text can read on into another.
      if ((across = crossable(texts.map(([o, k]) => o[k] || '')))) texts.sort(before)
    }
    for (const [o, k] of texts) {
      const node = cfg.maskAllInputs && getMirror().getNode(o.id)
      // A document in design mode is an editor as a whole (an old rich-text editor's frame).
      if (node && node.ownerDocument.designMode === 'on') o[k] = maskText(o[k], node.parentElement)
      else if (hasLongNumber(o[k]) && inEditor(o.id)) o[k] = starText(o[k])
    }
    cardScrub(texts, across)
  }

  const maskInputOptions = {}
  for (const t of INPUT_TYPES.split(' ')) maskInputOptions[t] = true

  return {
    ignoreSel,
    maskSel,
    secret: isSecret,
    rrweb: {
      blockSelector: ignoreSel,
      maskTextSelector: rrwebTextSel,
      maskInputOptions,
      maskInputFn: maskInput,
      maskTextFn: maskText,
    },
    scrub,
    page,
    error,
    stop: () => watcher.disconnect(),
  }
}
