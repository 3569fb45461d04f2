// URLs the recorder writes. What a URL's parameters may carry that no one
// watching a replay should see (a password-reset link's token, an OAuth code,
// a signed URL's signature, a session id) is masked wherever the recorder
// writes a URL: the page's own address, its referrer, requests, links and
// images. privacy/scrub.py masks the same on the server, in every string,
// from the same rules (test/urls.json holds the cases both must answer alike).
import { cut } from './text.js'

// A parameter carries a credential when one of the words of its name says so
// (`access_token`, `X-Amz-Signature`, `apiKey`, `SAMLResponse`), or its name
// ends in one run together (`csrfmiddlewaretoken`, `PHPSESSID`). A JSON Web
// Token is masked wherever it is, a magic link's path too (`/verify/eyJ...`).
const SECRET_WORDS = new Set(
  'token tokens secret secrets password passwd pwd pass pw pin passcode passphrase auth authorization oauth apikey key sig signature credential credentials jwt otp nonce verifier saml session sessionid sessid sid hmac code csrf xsrf'.split(' ')
)
const SECRET_END = /(token|secret|password|passwd|signature|apikey|sessionid|sessid)$/
const JWT = /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g
// A parameter in a URL, or in text that holds one: after `?`, `&`, `#` or `;` (a fragment's
// `#access_token=`, a hash route's `#/reset?token=`, a Java path's `;jsessionid=`, `&amp;`).
const PARAM = /([?&#;])([^=&#?;\s"'<>]{1,64})=([^&#?;\s"'<>)]+)/g
const CREDENTIALS = /^([a-z][a-z\d+.-]*:\/\/)[^/?#@]*@/i

export function secretName(name) {
  const words = name.replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').replace(/([a-z\d])([A-Z])/g, '$1 $2').toLowerCase()
  return words.split(/[^a-z\d]+/).some((w) => SECRET_WORDS.has(w)) || SECRET_END.test(words.replace(/[^a-z\d]/g, ''))
}

// `mask`: the site's own names (a Set, lower case) whose values are masked too, or true for
// every value (only ever given for the page's own address).
export function paramsMasked(s, mask) {
  if (s.indexOf('eyJ') >= 0) s = s.replace(JWT, '*')
  if (s.indexOf('=') < 0) return s
  return s.replace(PARAM, (m, sep, name, value) =>
    value === '*' || !(mask === true || secretName(name) || (mask && mask.has(name.toLowerCase())))
      ? m
      : sep + name + '=*'
  )
}

// The page's own address (or referrer, or a virtual page's): no user name or password, and the
// values masked as paramsMasked says.
export function pageUrl(href, mask) {
  const s = String(href == null ? '' : href)
  return paramsMasked(s.indexOf('@') < 0 ? s : s.replace(CREDENTIALS, '$1'), mask)
}

// The site's setting (urlMaskParams) as paramsMasked takes it: for links and requests, the names;
// for the page's own address, true when the setting says `*`.
export function urlMasks(names) {
  const links = new Set(names.map((n) => n.toLowerCase()))
  return { links, page: links.has('*') || links }
}

// Request URLs recorded by hs.net: query values become `*` unless the site
// keeps them (and then those that carry credentials still do); credentials and
// fragments are always dropped, since both often carry tokens.
export function scrubUrl(raw, base, keepQuery, mask) {
  let u
  try {
    u = new URL(String(raw), base)
  } catch (e) {
    return ''
  }
  u.username = u.password = u.hash = ''
  if (!keepQuery && u.search) {
    const parts = u.search.slice(1).split('&').map((p) => {
      const i = p.indexOf('=')
      return i < 0 ? (p ? '*' : p) : p.slice(0, i) + '=*'
    })
    u.search = '?' + parts.join('&')
  }
  return cut(paramsMasked(u.href, mask), 1000) // (values already `*` stay as they are)
}

// Request body size when it is cheap to know, else -1 (FormData, streams).
export function bodySize(b) {
  if (b == null) return 0
  if (typeof b === 'string' || b instanceof URLSearchParams) return new Blob([String(b)]).size
  if (typeof b.byteLength === 'number') return b.byteLength
  if (typeof b.size === 'number') return b.size
  return -1
}
