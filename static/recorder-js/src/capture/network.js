import { listen, patch } from '../patch.js'
import { bodySize, scrubUrl, urlMasks } from '../urls.js'

// hs.net: method, URL (query values masked), status, duration and sizes of
// fetch, XMLHttpRequest and sendBeacon requests. Never bodies or headers, and
// response bodies are never read or cloned. Our own uploads are skipped.

const contentLength = (v) => (v != null && /^\d+$/.test(v) ? +v : -1)

export function captureNetwork(win, cfg, report) {
  // fetch, XHR and sendBeacon resolve a relative address against the page's base URL (a <base href>),
  // not its own address.
  const doc = win.document
  const perf = win.performance?.now ? win.performance : Date
  const path = (url) => scrubUrl(url, doc.baseURI, false).split('?')[0]
  const own = path(cfg.endpoint)
  const mask = urlMasks(cfg.urlMaskParams).links
  const isOwn = (url) => path(url) === own

  // Returns a `done(status, resSize)` for a request, or null for our own.
  function begin(kind, method, url, body) {
    if (isOwn(url)) return null
    const t0 = perf.now()
    const ev = {
      kind,
      method: String(method || 'GET').toUpperCase().slice(0, 16),
      url: scrubUrl(url, doc.baseURI, cfg.networkQueryAllow, mask),
      status: 0,
      duration: 0,
      reqSize: bodySize(body),
      resSize: -1,
    }
    return (status, resSize) => {
      ev.status = status
      ev.resSize = resSize
      ev.duration = Math.round(perf.now() - t0)
      report(ev)
    }
  }

  const offs = [
    patch(win, 'fetch', (orig, on) =>
      function (input, init) {
        let done = null
        try {
          if (on()) {
            const req = input && typeof input === 'object' && 'method' in input ? input : null
            const url = req ? req.url : String(input)
            // A Request's body size is not cheaply known: {} counts as -1.
            const body = init?.body != null ? init.body : req && !/^(GET|HEAD)$/i.test(req.method) ? {} : null
            done = begin('fetch', init?.method || req?.method, url, body)
          }
        } catch (e) {}
        const p = orig.apply(this, arguments)
        if (done) {
          try {
            // The page keeps its own promise; ours handles its rejection.
            p.then(
              (res) => {
                try {
                  done(res.status, contentLength(res.headers.get('content-length')))
                } catch (e) {}
              },
              () => {
                try {
                  done(0, -1)
                } catch (e) {}
              }
            )
          } catch (e) {}
        }
        return p
      }
    ),
  ]

  const X = win.XMLHttpRequest?.prototype
  if (X) {
    const opened = new WeakMap()
    offs.push(
      patch(X, 'open', (orig) =>
        function (method, url) {
          try {
            opened.set(this, [method, url])
          } catch (e) {}
          return orig.apply(this, arguments)
        }
      ),
      patch(X, 'send', (orig, on) =>
        function (body) {
          try {
            const o = opened.get(this)
            const done = o && on() && begin('xhr', o[0], o[1], body)
            if (done) {
              const xhr = this
              const off = listen(xhr, 'loadend', () => {
                off()
                try {
                  done(xhr.status, contentLength(xhr.getResponseHeader('content-length')))
                } catch (e) {}
              })
            }
          } catch (e) {}
          return orig.apply(this, arguments)
        }
      )
    )
  }

  offs.push(
    patch(win.navigator, 'sendBeacon', (orig, on) =>
      function (url, data) {
        const ok = orig.apply(this, arguments)
        try {
          const done = on() && begin('beacon', 'POST', url, data)
          // A queued beacon's status is never known: -1. Refused: 0.
          if (done) done(ok ? -1 : 0, -1)
        } catch (e) {}
        return ok
      }
    )
  )
  return () => offs.forEach((f) => f())
}
