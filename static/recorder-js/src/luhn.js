// Card numbers anywhere are masked: every 13-19 digit window of a digit run
// that passes the Luhn check. A run's groups of digits may be split by
// whitespace of any kind (no-break and thin spaces too), or by a dot or a
// dash and maybe whitespace; every group but the last has 3 digits or more
// (3 to 6 before a dot), as in card numbers (4-4-4-4, 4-6-5), so that neither
// a pager ("1 2 3 ... 13") nor a decimal ("1796233740.429") is one run.
// Windows, not the whole run: a card number next to other digits must not
// hide in a longer run. Windows of whole groups, not of any digits: a card
// number is written apart from the digits around it, while nearly every long
// number (an order number, a 64-bit id) holds some 13-19 digits that pass
// Luhn by chance. privacy/scrub.py does the same on the server.

const RUN = /(?:\d{3,6}\.[\s\u200b]*|\d{3,}(?:-[\s\u200b]*|[\s\u200b]+))*\d+/g
// What every run of 13 (7) digits or more starts with: that many characters of a run, a digit
// first. A cheap test before the runs are read.
const CARD = /\d[\d.\-\s\u200b]{12}/
const LONG = /\d[\d.\-\s\u200b]{6}/

// Digits of other scripts are digits too: a Persian or an Arabic keyboard types ۴۱۱۱, a Japanese input
// method ４１１１. Each is read as its ASCII digit, and masked where it stands. privacy/scrub.py: the same.
const OTHER = /[\u0660-\u0669\u06f0-\u06f9\u0966-\u096f\u09e6-\u09ef\uff10-\uff19]/g
// (each block's digits: 0-9 at the foot of 16 code points, Devanagari's and Bengali's 6 higher)
const ascii = (s) => s.replace(OTHER, (c) => ((c = c.charCodeAt(0)), (c - (c >> 11 == 1) * 6) & 15))

export function luhnValid(digits) {
  let sum = 0
  for (let i = digits.length - 1, dbl = false; i >= 0; i--, dbl = !dbl) {
    let d = digits.charCodeAt(i) - 48
    if (dbl && (d *= 2) > 9) d -= 9
    sum += d
  }
  return sum % 10 === 0
}

// Masks card numbers in a list of strings read as one text (adjacent text
// nodes: `<span>4012 8888</span><span> 8888 1881</span>`); returns the list
// itself when nothing was masked, else a new list of the same lengths.
// Within one string every Luhn-valid window is masked. Across strings, a
// number reads on only where the text shows a gap between them (whitespace,
// a dot or a dash on either side), and a run that crosses from one string
// into the next is masked only when its digits are one whole card number:
// table cells or prices side by side make long runs, one of whose windows
// would pass the Luhn check by chance. privacy/scrub.py does the same.
function mask(text, ends) {
  let out
  text.replace(RUN, (run, at) => {
    if (run.length < 13 || (ends && !ends.some((e) => e > at && e < at + run.length))) return
    const pos = []
    for (let i = 0; i < run.length; i++) if (run[i] >= '0' && run[i] <= '9') pos.push(at + i)
    const digits = pos.map((p) => text[p]).join('')
    // Whether digit k begins a group (or k is the run's end: undefined - x is NaN).
    const edge = (k) => pos[k] - pos[k - 1] !== 1
    for (let n = 13; n <= 19; n++)
      for (let s = 0; s + n <= digits.length; s++)
        if ((ends ? n === digits.length : edge(s) && edge(s + n)) && luhnValid(digits.slice(s, s + n)))
          for (let k = s; k < s + n; k++) (out = out || text.split(''))[pos[k]] = '*'
  })
  return out ? out.join('') : text
}

// A text that can read on into its neighbour: empty, or a gap at an edge.
const EDGE = /^[\s.\-\u200b]|[\s.\-\u200b]$/
export const joins = (p) => !p || EDGE.test(p)

// Whether a run across these texts, in whatever order, could hold 13 digits: from the tail of
// one (its digits and separators at its end), through whole texts, into the head of another. A
// run's groups of digits but its last have 3 or more: a whole text in a run has no shorter group,
// and a tail counts only when its last group has 3, so that a board of prices ("129.45", "-0.45",
// "65,322", "248") passes its cells' texts in any order.
const SPACE = /[\s\u200b]/
export function crossable(parts) {
  if (!parts.some(joins)) return false
  // An empty text joins its neighbours with no gap between them: their edge groups may become one.
  if (parts.includes('')) return true
  parts = parts.map(ascii) // (after the two above, which no digit changes)
  let heads = 0
  let tails = 0
  let whole = 0
  for (const p of parts) {
    // One pass: the digits before its first character that ends a run (head), after its last
    // (tail, with the length of its last group), and whether a group is shorter than 3. A group
    // also ends at the end of the text, where the character code is NaN.
    let head = -1
    let tail = 0
    let last = 0
    let group = 0
    let short = 0
    for (let i = 0; i <= p.length; i++) {
      const c = p.charCodeAt(i)
      if (c > 47 && c < 58) tail++, group++
      else {
        if (group) (last = group) < 3 && (short = 1)
        group = 0
        if (c > 127 ? !SPACE.test(p[i]) : c > 32 && c !== 45 && c !== 46) {
          if (head < 0) head = tail
          tail = 0
        }
      }
    }
    if (head < 0) {
      // No character in it ends a run: all its digits are its head and its tail.
      head = tail
      if (!short) whole += tail
    }
    heads = Math.max(heads, head)
    if (last > 2) tails = Math.max(tails, tail)
  }
  return heads + tails + whole > 12
}

// `across`: whether crossable(parts), where the caller knows already.
export function maskCards(parts, across = crossable(parts)) {
  const plain = parts.map(ascii)
  const out = maskPlain(plain, across)
  // (the page's own characters where mask() wrote no `*`: one for one, ascii() keeps every place)
  return out === plain ? parts : out.map((m, i) => m.replace(/[^*]/g, (c, j) => parts[i][j]))
}

function maskPlain(parts, across) {
  const own = parts.map((p) => (CARD.test(p) ? mask(p) : p))
  let out = own
  // Where a text reads on into another (not the usual case), runs across texts.
  if (across) {
    out = []
    for (let i = 1, g = 0; i <= own.length; i++)
      if (i === own.length || !/[\s.\-\u200b]/.test((own[i - 1].slice(-1) || ' ') + (own[i][0] || ' '))) {
        const group = own.slice(g, i)
        let n = 0
        const text = group.join('')
        // A run across texts needs two of them and 13 digits.
        const masked = g < i - 1 && CARD.test(text) ? mask(text, group.slice(0, -1).map((p) => (n += p.length))) : text
        n = 0
        for (const p of group) out.push(masked.slice(n, (n += p.length)))
        g = i
      }
  }
  return out.some((p, i) => p !== parts[i]) ? out : parts
}

export const maskCardNumbers = (text) => text && maskCards([text])[0]

export const hasCardNumber = (text) => !!text && maskCards([text])[0] !== text

// A run of more than six digits: what a card number typed into any field
// shows before it is whole (its first six, the issuer, are as much of it as
// may be shown). privacy/scrub.py uses the same rule.
export const hasLongNumber = (text) => LONG.test((text = ascii(text))) && text.match(RUN).some((r) => r.replace(/\D/g, '').length > 6)
