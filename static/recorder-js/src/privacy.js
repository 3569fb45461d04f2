import { hasCardNumber, maskCardNumbers } from './luhn.js'

// Privacy rules, applied in the browser so that nothing they forbid is sent.
// Ignore: rrweb blocks the element (the replay shows an empty box of its size).
// Mask: text becomes same-length `*`, and so do input values and the
// attributes that carry text. Unmask only exempts inputs from maskAllInputs;
// secret fields (passwords, one-time codes, card fields) can never be unmasked.
const IGNORE = '.inspectletIgnore,.hindsight-ignore'
const MASK = '.inspectlet-sensitive,.hindsight-mask'
const UNMASK = '.inspectlet-whitelist,.hindsight-unmask'
const TEXT_ATTRS = ['placeholder', 'title', 'alt', 'aria-label', 'aria-description', 'aria-valuetext', 'label', 'value']
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
  const unmaskSel = joinSelectors(UNMASK, cfg.unmaskSelectors, isValid)

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
        !!el.closest(maskSel) ||
        (cfg.maskAllInputs && !el.closest(unmaskSel)) ||
        hasCardNumber(text)
      return masked ? stars(text) : text
    } catch (e) {
      return stars(text) // when in doubt, mask
    }
  }

  // rrweb has no hook for attributes: mask text-carrying attributes of
  // elements inside masked areas as events leave rrweb.
  const nodeMasked = (id) => {
    const el = getMirror().getNode(id)
    try {
      return !el || !el.closest || !!el.closest(textMaskSel)
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
  function maskAttrs(attrs, tag, type) {
    // Form values are maskInput's business; keep its decision.
    const formValue = /^(textarea|select)$/i.test(tag) || (/^input$/i.test(tag) && !/^(submit|button|reset)$/i.test(type || ''))
    for (const a of TEXT_ATTRS) {
      const v = attrs[a]
      if (typeof v === 'string' && v && !(a === 'value' && formValue)) attrs[a] = starText(v)
    }
  }
  function walk(n, masked) {
    if (n.type === 2) {
      masked = masked || nodeMatches(n.id)
      if (masked) maskAttrs(n.attributes, n.tagName, n.attributes.type)
    } else if (n.type === 3 && n.textContent && !n.isStyle) {
      n.textContent = maskCardNumbers(n.textContent)
    }
    if (n.childNodes) for (const c of n.childNodes) walk(c, masked)
  }

  // Mutates an rrweb event in place before it is serialised.
  function scrub(e) {
    const d = e.data
    if (e.type === 2) walk(d.node, false)
    else if (e.type === 3 && d.source === 0) {
      for (const a of d.adds) walk(a.node, nodeMasked(a.parentId))
      for (const a of d.attributes) {
        const el = getMirror().getNode(a.id) || {}
        if (nodeMasked(a.id)) maskAttrs(a.attributes, el.tagName, el.type)
      }
      for (const t of d.texts) t.value = maskCardNumbers(t.value)
    }
  }

  const maskInputOptions = {}
  for (const t of INPUT_TYPES.split(' ')) maskInputOptions[t] = true

  return {
    ignoreSel,
    maskSel,
    rrweb: {
      blockSelector: ignoreSel,
      maskTextSelector: textMaskSel,
      maskInputOptions,
      maskInputFn: maskInput,
      maskTextFn: starText,
    },
    scrub,
    stop: () => watcher.disconnect(),
  }
}
