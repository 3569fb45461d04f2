// Bundles src/index.js into ../build/recorder.js: one minified IIFE.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { minify } from 'terser'

// The pinned rrweb is cut at build time. Each cut must match exactly once (or
// the number of times given), so that a different rrweb fails the build
// instead of silently shipping (or breaking) anything.
//
// We never record <canvas> (rrweb's recordCanvas stays off), yet rrweb ships
// its canvas recording: ~3 KB gzipped, of which 1 KB is the inlined source
// of a worker that it turns into a Blob on every page load. The worker's
// source, its wrapper and rrweb's CanvasManager go (nothing makes or calls one:
// see below), and so do the helpers only the canvas observers use.
export const cuts = [
  [/^const jsContent = '.*';\n[\s\S]*?^class CanvasManager \{\n[\s\S]*?^}\nclass StylesheetManager \{$/m, 'class StylesheetManager {'],
  // (and the base64 table the canvas encoder would read, built on every load)
  [/^var lookup = typeof Uint8Array === "undefined" \? \[\] : new Uint8Array\(256\);\nfor \(var i = 0; i < chars\.length; i\+\+\) \{\n {2}lookup\[chars\.charCodeAt\(i\)\] = i;\n}\n/m, ''],
  // Cross-origin iframes are never recorded (recordCrossOriginIframes stays
  // off): the code that maps a child frame's events into the parent's ids
  // goes; same-origin iframes keep theirs.
  // (IframeManager keeps what a same-origin frame needs: its load listener and attachIframe. Which frames
  // it has seen, and their windows, were kept only for the messages of cross-origin ones.)
  [/^class CrossOriginIframeMirror \{[\s\S]*?^ {2}addLoadListener\(cb\) \{$/m, `class IframeManager {
  constructor(options) {
    this.mutationCb = options.mutationCb;
    this.stylesheetManager = options.stylesheetManager;
    this.mirror = options.mirror;
  }
  addLoadListener(cb) {`],
  [/^ {4}if \(this\.recordCrossOriginIframes\)\n {6}\(_a2 = iframeEl\.contentWindow\)[^\n]*\n {8}"message",\n {8}this\.handleMessage\.bind\(this\)\n {6}\);\n/m, ''],
  [/^ {2}handleMessage\(message\) \{[\s\S]*?^}\nclass ShadowDomManager \{$/m, '}\nclass ShadowDomManager {'],
  // rrdom's virtual node class, which the recorder only tests real DOM nodes against.
  [/^class BaseRRNode \{[\s\S]*?^}\n/m, ''],
  [/^ {2}if \(n instanceof BaseRRNode && "shadowRoot" in n\) \{\n {4}return Boolean\(n\.shadowRoot\);\n {2}}\n/m, ''],
  // A stand-in for rrweb's old global mirror, which warns whoever touches it:
  // nothing reaches it (the package exports only record), yet it was built,
  // and wrapped in a Proxy, on every page load.
  [/^const DEPARTED_MIRROR_ACCESS_WARNING = [\s\S]*?^if \(typeof window !== "undefined" && window\.Proxy && window\.Reflect\) \{\n {2}_mirror = new Proxy[\s\S]*?^}\n(?=function throttle\()/m, ''],
  // We pass no plugins and no packFn: what hands each event to them goes.
  [/^ {2}const eventProcessor = \(e\) => \{[\s\S]*?^ {2}\};\n/m, ''],
  [/^ {2}for \(const plugin of plugins \|\| \[\]\) \{\n {4}if \(plugin\.getMirror\)[\s\S]*?^ {2}}\n/m, ''],
  [/^ {10}plugins: \(\(_a2 = plugins == null[\s\S]*?^ {10}\}\)\)\) \|\| \[\]\n/m, ''],
  // rrweb's record() runs in the page's own frame and hands each event to our emit (recordCrossOriginIframes
  // stays off): what it would do in a child frame (post events to the parent, or do nothing) goes. Nothing
  // freezes the mutation buffers (no freezePage: cut below), so no event has to release them either.
  [/^ {2}const inEmittingFrame = recordCrossOriginIframes[\s\S]*?^ {2}mirror\.reset\(\);$/m, '  mirror.reset();'],
  [/^ {4}if \(\(\(_a2 = mutationBuffers\[0\]\) == null \? void 0 : _a2\.isFrozen\(\)\)[\s\S]*?^ {4}if \(inEmittingFrame\) \{\n[\s\S]*?^ {4}\}\n(?= {4}if \(e\.type === EventType\.FullSnapshot\))/m, '    emit(e, isCheckout);\n'],
  [/^ {2}freeze\(\) \{\n {4}this\.frozen = true;\n {4}this\.canvasManager\.freeze\(\);\n {2}\}\n {2}unfreeze\(\) \{\n[\s\S]*?^ {2}isFrozen\(\) \{\n {4}return this\.frozen;\n {2}\}\n/m, ''],
  [/if \(this\.frozen \|\| this\.locked\) \{/, 'if (this.locked) {'],
  [/^ {4}__publicField\(this, "frozen", false\);\n/m, ''],
  // (and the canvas manager, which does nothing, is neither made nor called)
  [/^ {2}canvasManager = new CanvasManager\(\{\n[\s\S]*?^ {2}\}\);\n/m, ''],
  [/^ {4}this\.canvasManager\.(lock|unlock|reset)\(\);\n/gm, '', 3],
  // Nor do we pass checkoutEveryNth (a full snapshot every N events): only checkoutEveryNms counts.
  [/^ {2}let incrementalSnapshotCount = 0;\n/m, ''],
  [/^ {6}incrementalSnapshotCount = 0;\n/m, ''],
  [/^ {6}incrementalSnapshotCount\+\+;\n {6}const exceedCount = [^\n]*\n {6}const exceedTime = ([^\n]*);\n {6}if \(exceedCount \|\| exceedTime\) \{/m, '      if ($1) {'],
  // We pass no hooks: the wrapper it puts around every observer callback goes.
  [/^function mergeHooks\(o, hooks\) \{[\s\S]*?^}\n/m, ''],
  // The observers rrweb starts on a document, and stops in the same order: as rrweb's with recordDOM on, no
  // hooks, no plugins, and collectFonts off: fonts are never collected, and the font observer, which would
  // patch the page's FontFace, goes.
  [/^ {2}mergeHooks\(o, hooks\);\n {2}let mutationObserver;\n[\s\S]*?^ {4}pluginHandlers\.forEach\(\(h\) => h\(\)\);\n {2}\}\);\n}\n/m, `  const [mutationObserver, cleanupMutationIframe] = initMutationObserver(o, o.doc);
  const handlers = [
    initMoveObserver(o),
    initMouseInteractionObserver(o),
    initScrollObserver(o),
    initViewportResizeObserver(o, { win: currentWindow }),
    initInputObserver(o),
    initMediaInteractionObserver(o),
    initStyleSheetObserver(o, { win: currentWindow }),
    initAdoptedStyleSheetObserver(o, o.doc),
    initStyleDeclarationObserver(o, { win: currentWindow }),
    initSelectionObserver(o),
    initCustomElementObserver(o)
  ];
  return callbackWrapper(() => {
    // (Each buffer's reset() stops every shadow root's observation, the page's too: only when the page's
    // own observers stop, not a frame's that loads again, below.)
    if (o.doc === document) mutationBuffers.forEach((b) => b.reset());
    mutationObserver.disconnect();
    cleanupMutationIframe();
    handlers.forEach((h) => h());
  });
}
`],
  [/^ {4}if \(!recordDOM\) \{\n {6}return;\n {4}\}\n/m, ''],
  // A patched CSSOM method (insertRule, deleteRule, replace, replaceSync,
  // setProperty, removeProperty, on sheets and grouping rules) runs rrweb's
  // recording and then the page's call inside one error wrapper. When the
  // browser refuses the page's call (insertRule of a rule it cannot parse,
  // which styled-components does on purpose and catches), our errorHandler
  // took the page's exception for rrweb's failure: the page never saw it (its
  // rule indexes went wrong), a full snapshot followed each, and after four
  // the page was no longer recorded. Now the page's call runs first, outside
  // the wrapper (its result and exceptions are the page's), and is recorded
  // only once the browser took it; a failure of the recording still goes to
  // errorHandler, and never keeps the page's call from running.
  [/^const mutationBuffers = \[\];$/m, `const SKIP_NATIVE = { apply() {} };
const pageCall = (cb) => {
  const recordCall = callbackWrapper(cb);
  return (target, thisArg, argumentsList) => {
    const result = target.apply(thisArg, argumentsList);
    recordCall(SKIP_NATIVE, thisArg, argumentsList);
    return result;
  };
};
const mutationBuffers = [];`],
  [/apply: callbackWrapper\(\n(\s*)\(target, thisArg, argumentsList\) => \{/g, 'apply: pageCall(\n$1(target, thisArg, argumentsList) => {', 8],
  // (what the recording part must then not call itself: we pass no ignoreCSSAttributes, and its test goes)
  [/^ {8}if \(ignoreCSSAttributes\.has\(property\)\) \{\n {10}return (setProperty\.apply\(thisArg, \[property, value, priority\]\)|removeProperty\.apply\(thisArg, \[property\]\));\n {8}\}\n/gm, '', 2],
  // A style attribute change goes out as the attribute's new text, as every
  // other attribute does, not as rrweb's diff of its properties. A diff is
  // replayed wrong by rrweb's virtual DOM, which cannot remove a longhand
  // (animation-name) from a shorthand (animation: none): our player now
  // applies it by the browser's rules, but an export replayed elsewhere would
  // not. Working the diff out (a parsed copy of the old style, each property
  // read on both) was also the costliest part of rrweb's handling of a change,
  // and the text costs no more bytes on the bench pages (BENCHMARKS.md).
  [/^ {12}if \(attributeName === "style"\) \{\n {14}if \(!this\.unattachedDoc\) \{[\s\S]*?^ {12}} else if \(attributeName === "open"/m, '            if (attributeName === "open"'],
  [/^ {10}if \(typeof attributes\.style === "string"\) \{\n {12}const diffAsStr[\s\S]*?^ {10}}\n {10}return \{/m, '          return {'],
  // (and the diff's two objects, made for every attribute change and read by nothing now)
  [/^( *)attributes: \{\},\n *styleDiff: \{\},\n *_unchangedStyles: \{\}\n/gm, '$1attributes: {}\n', 2],
  // rrweb's class rules (rr-block, rr-mask) are in our selectors (src/privacy.js), which rrweb tests
  // too: each test of a node then walks its ancestors once (closest()), not once per rule.
  [/^ {2}try \{\n {4}if \(typeof blockClass === "string"\) \{\n {6}if \(el\.classList\.contains\(blockClass\)\) return true;\n {6}if \(checkAncestors && el\.closest\("\." \+ blockClass\) !== null\) return true;\n {4}\} else \{\n {6}if \(classMatchesRegex\(el, blockClass, checkAncestors\)\) return true;\n {4}\}\n {2}\} catch \(e\) \{\n {2}\}\n {2}if \(blockSelector\) \{\n {4}if \(el\.matches\(blockSelector\)\) return true;\n/m, '  if (blockSelector) {\n'],
  [/^ {4}if \(typeof maskTextClass === "string"\) \{\n {6}if \(checkAncestors\) \{\n {8}if \(el\.closest\(`\.\$\{maskTextClass\}`\)\) return true;\n[\s\S]*?^ {4}\}\n {4}if \(maskTextSelector\) \{/m, '    if (maskTextSelector) {'],
  // The same in the snapshot's test of an element (rr-block is in our ignore selector).
  [/^ {4}if \(typeof blockClass === "string"\) \{\n {6}if \(element\.classList\.contains\(blockClass\)\) \{\n[\s\S]*?^ {4}\}\n(?= {4}if \(blockSelector\) \{\n {6}return element\.matches\(blockSelector\);)/m, ''],
  // A form's reset() (or its reset button) empties its fields without an input
  // or change event, so rrweb never saw it and the replay kept what the visitor
  // had typed, cleared long before. Once a form has reset, each of its fields
  // goes through rrweb's own input handler again (its masking, ignore rules and
  // repeat check), as a value set by script does. The fields are emptied after
  // the reset event, in the same task, so they are read a timer later; what that
  // finds is stamped with the reset's moment (the page may have shown a frame in
  // between), unless the timer came so late that the stamp would look like a
  // clock set back (recorder.js).
  [/^ {2}const handlers = events\.map\(\n {4}\(eventName\) => on\(eventName, callbackWrapper\(eventHandler\), doc\)\n {2}\);\n/m, `$&  handlers.push(on("reset", (e) => {
    const at = nowTimestamp();
    setTimeout(() => {
      stampAt = nowTimestamp() - at < 500 ? at : 0;
      try {
        Array.from(getEventTarget(e).elements || []).forEach((target) => callbackWrapper(eventHandler)({ target }));
      } finally {
        stampAt = 0;
      }
    });
  }, doc));
`],
  // rrweb's clock is the browser's Date.now, where the page replaced it (src/clean.js; the import is added below).
  // (rrweb's own test of the page's Date.now goes with it: where a page's gave no millisecond time, rrweb took
  // the page's Date instead, whatever that did, and stamped its events apart from ours.)
  [/^let nowTimestamp = Date\.now;\nif \(!\/\* @__PURE__ \*\/ \/\[1-9\]\[0-9\]\{12\}\/\.test\(Date\.now\(\)\.toString\(\)\)\) \{\n {2}nowTimestamp = [^\n]*\n\}$/m, 'let nowTimestamp = __hsB.now;\nlet stampAt = 0;'],
  [/^ {4}e\.timestamp = nowTimestamp\(\);$/m, '    e.timestamp = stampAt || nowTimestamp();'],
  // rrweb takes its first snapshot, and starts observing, only once the page
  // has loaded when it starts on a page still being parsed (a slow script
  // holds the parser while our async snippet runs): until the last slow image
  // had come in, the visitor's typing, clicks and scrolling were never
  // recorded, and the replay showed the loaded page from the start. It now
  // starts at once; what the parser adds after the snapshot comes as DOM
  // changes, and stylesheets still loading are taken when they load, as rrweb
  // does for those a page adds.
  [/^ {4}if \(\["interactive", "complete"\]\.includes\(document\.readyState\)\) \{\n {6}init\(\);\n {4}\} else \{\n[\s\S]*?^ {4}\}\n(?= {4}return \(\) => \{)/m, '    init();\n'],
  // A page that adds an element and focuses (or clicks) it in one script has
  // the interaction before rrweb's mutation observer has given the element an
  // id: rrweb wrote it with id -1, which the replay cannot place (a data
  // table's cell editor, on Dash). Such an interaction now waits a microtask,
  // after rrweb has taken the addition.
  [/^ {6}const id = mirror2\.getId\(target\);\n {6}const \{ clientX, clientY \} = e;\n {6}callbackWrapper\(mouseInteractionCb\)\(\{\n {8}type: MouseInteractions\[thisEventKey\],\n {8}id,\n/m, `      const { clientX, clientY } = e;
      const send = () => callbackWrapper(mouseInteractionCb)({
        type: MouseInteractions[thisEventKey],
        id: mirror2.getId(target),
`],
  [/^ {8}\.\.\.pointerType !== null && \{ pointerType \}\n {6}\}\);\n {4}\};\n {2}\};\n/m, `        ...pointerType !== null && { pointerType }
      });
      if (mirror2.getId(target) < 0) queueMicrotask(send);
      else send();
    };
  };
`],
  // Where a page broke Array.from (Prototype.js, still on Magento 1 stores, makes it its $A, which
  // ignores a map function and turns a Set into []), rrweb put a clean one from a frame in the page's
  // place: the page's own code then lost its $A. rrweb's code now calls the browser's (src/clean.js, which
  // takes it from a frame where the page's is not native code; below, after the cuts that add calls), as
  // ours does, and the page keeps its own. (Before, a recorder started on a page with no body yet kept the
  // broken one, read selects and built the closing page's gzip tables with it, and lost that last batch.)
  [/^try \{\n {2}if \(Array\.from\(\[1\], \(x\) => x \* 2\)\[0\] !== 2\) \{\n[\s\S]*?^ {2}console\.debug\("Unable to override Array\.from", err\);\n\}\n/m, ''],
  // The same for the clean prototypes rrweb takes where a page patched the DOM's (a zone.js app's
  // MutationObserver, whose callbacks run Angular's change detection): on a page with no body yet rrweb
  // observed through the page's.
  [/^ {4}document\.body\.appendChild\(iframeEl\);$/m, '    (document.body || document.documentElement).appendChild(iframeEl);'],
  // We never pass maskAllInputs: src/privacy.js lists every input type in maskInputOptions, so that
  // rrweb asks maskInputFn about every field. The list rrweb would make of them for maskAllInputs goes,
  // in record() and in snapshot(), which record() hands its own list.
  [/^ {2}const maskInputOptions = maskAllInputs === true \? \{\n {4}color: true,[\s\S]*?^ {2}\} : maskAllInputs === false \? \{/m, '  const maskInputOptions = maskAllInputs === false ? {'],
  [/^ {2}const maskInputOptions = maskAllInputs === true \? \{\n {4}color: true,[\s\S]*?^ {2}\} : _maskInputOptions !== void 0/m, '  const maskInputOptions = _maskInputOptions !== void 0'],
  // Canvases are never recorded (recordCanvas stays off): nor is their pixels' data URL taken in a snapshot.
  [/^ {2}if \(tagName === "canvas" && recordCanvas\) \{[\s\S]*?^ {2}}\n(?= {2}if \(tagName === "img")/m, ''],
  // rrweb checks that the page left the DOM's prototypes native before it
  // trusts them, and takes fresh ones from a new hidden iframe where it did not.
  // It lists Element's querySelector and querySelectorAll as property getters,
  // which they are not (they are methods), so on every page load the check
  // failed and rrweb added an iframe to the page's body and removed it again:
  // 10-25 ms of the main thread, and an element the page's own observers saw
  // come and go. They are checked as methods now (rrweb-io/rrweb#1802 names
  // the same fix); a page that did replace them still gets the iframe.
  [/^ {2}Element: \["shadowRoot", "querySelector", "querySelectorAll"\],$/m, '  Element: ["shadowRoot"],'],
  [/^ {2}Element: \[\],$/m, '  Element: ["querySelector", "querySelectorAll"],'],
  // rrweb reads each event's target from composedPath(), which builds the
  // event's whole path (an array) on every scroll, input and click: with every
  // scroll event recorded, about a tenth of the recorder's time on a scrolled
  // article. The path tells more than event.target only when the target is a
  // host of an open shadow root (an event from inside it reaches a listener
  // outside retargeted to the host); that case still reads the path.
  [/^function getEventTarget\(event\) \{\n {2}try \{$/m, 'function getEventTarget(event) {\n  const target = event && event.target;\n  if (!target || !target.shadowRoot) return target;\n  try {'],
  // rrweb hooks the setter of an option's `selected` (a page choosing an option by script), then took the
  // option's parent for the field but still asked the option's tag whether it was one: it never was, and
  // the choice was never recorded (the replay kept the option chosen before; plain rrweb the same). The
  // field is the option's select now (an option may sit in an optgroup), asked as a select: masked by
  // maskInputFn as any choice of that select is. An XHTML page (application/xhtml+xml) names its tags in
  // lower case, which rrweb's list of fields never matched: nothing typed there was recorded. Tags are
  // asked in upper case now.
  [/^ {4}const tagName = target && target\.tagName;\n {4}if \(target && tagName === "OPTION"\) \{\n {6}target = index\.parentElement\(target\);\n {4}\}\n/m, '    if (target && target.localName === "option") target = target.closest("select");\n    const tagName = target && (target.tagName || "").toUpperCase();\n'],
  // rrweb writes which options are chosen only when no select's value is masked (maskInputOptions.select),
  // and ours lists every type so that maskInputFn decides: no option was ever written chosen, and the
  // select's value does not choose one in the replay. A select chosen before a snapshot (a `selected`
  // option, the visitor's choice before a tab came back) replayed its first option, a `<select multiple>`
  // none. An option is written chosen now where maskInputFn leaves its value, asked of its select, as it is
  // (asked for a chosen option only: a country list's 250 others cost nothing).
  [/^ {4}if \(n\.selected && !maskInputOptions\["select"\]\) \{$/m, '    let v, s;\n    if (n.selected && (s = n.closest("select")) && maskInputFn(v = n.value + " ", s) === v) {'],
  // A script may also choose an option by its `selected` attribute (setAttribute, toggleAttribute), which no
  // property hook sees: the attribute's change went out as it is, naming the chosen option of a select whose
  // value is masked (by the site's rules, maskAllInputs, or as a card field's), and the select's value, which
  // the change may have set, was not recorded. Such a change now writes its select's value instead, masked as
  // its value, as a change of its options does (see below), unless the select is ignored; the attribute itself
  // goes. (`value` is free here: this always returns.)
  [/^ {10}if \(isBlocked\(m\.target, this\.blockClass, this\.blockSelector, false\) \|\| value === m\.oldValue\) \{$/m,
    '          if (isBlocked(m.target, this.blockClass, this.blockSelector, false) || value === m.oldValue || tagNameLower === "option" && attributeName === "selected" && !((value = target.closest("select")) && !isBlocked(value, this.blockClass, this.blockSelector, true) && this.genTextAreaValueMutation(value))) {'],
  // A `<select multiple>` was recorded by its value, which is its first chosen option's: the replay showed only
  // that one chosen, and a choice that kept the first (another option added with Ctrl) was never recorded (the
  // same value again). A select's value is now the values of all its chosen options, each masked (or not) as
  // its value would be, joined by commas (one option for a plain select: its value as before; docs/protocol.md,
  // "Select fields"). rrweb's test of maskInputOptions before it asks maskInputValue, which tests them
  // again, goes.
  [/^ {4}\} else if \(maskInputOptions\[tagName\.toLowerCase\(\)\] \|\| maskInputOptions\[type\]\) \{\n {6}text = maskInputValue\(\{\n {8}element: target,\n {8}maskInputOptions,\n {8}tagName,\n {8}type,\n {8}value: text,\n {8}maskInputFn\n {6}\}\);$/m,
    '    } else {\n      text = Array.from(target.selectedOptions || [target], (o) => maskInputValue({ element: target, maskInputOptions, tagName, type, value: o.value, maskInputFn })).join(",");'],
  // A script that refills a select's options (a region list filled from the chosen country) changes its
  // value without an event: the replay kept the value chosen before, or, seeking, set it after the new
  // options (rrweb applies a field's last input after the DOM a seek builds), and showed nothing chosen, or
  // the old mask. A change of a select's options now writes its value after them, as rrweb writes a
  // textarea's: as a `value` attribute change in the same DOM change, masked as its value (a multiple
  // select's, its chosen options' values joined by commas; docs/protocol.md, "Select fields").
  [/^ {10}if \(m\.target\.tagName === "TEXTAREA"\) \{$/m, '          if (m.target.tagName === "SELECT") this.genTextAreaValueMutation(m.target);\n$&'],
  [/^ {6}const value = Array\.from\(\n {8}index\.childNodes\(textarea\),/m, '      const value = textarea.selectedOptions ? Array.from(textarea.selectedOptions, (o) => o.value).join(",") : Array.from(\n        index.childNodes(textarea),'],
  // We never pass keepIframeSrcFn (rrweb's default keeps no frame's src as it is: the replay must not load it): its test goes.
  [/ && !keepIframeSrcFn\(attributes\.src\)\) \{$/m, ') {'],
  [/ && !this\.keepIframeSrcFn\(value\)\) \{$/m, ') {'],
  // We never pass userTriggeredOnInput: the input events' flag of it, and the tests of it, go.
  [/^ {4}const userTriggered = event\.isTrusted;\n/m, ''],
  [/userTriggeredOnInput \? \{ text, isChecked, userTriggered \} : /, ''],
  [/userTriggeredOnInput \? \{ text: text2, isChecked: !isChecked, userTriggered: false \} : /, ''],
  // Nor sampling.input ('last' would record only change events): both events are listened to.
  [/sampling\.input === "last" \? \["change"\] : /, ''],
  // A field's value, checked state or choice set by a page's script is taken by rrweb's hook on the
  // property's setter, which recorded it in a timer task after the setter returned: when the browser
  // showed a frame first (a page busy, a ticker setting fields each second), the visitor saw the new value
  // before the recording had it, and the replay showed the old one for those milliseconds (test_fidelity's
  // form test: samples in that gap failed now and then). The recording now comes at the end of the
  // script's task (a microtask), still outside the page's setter call, before any frame.
  [/^ {8}setTimeout\(\(\) => \{\n {10}d\.set\.call\(this, value\);\n {8}\}, 0\);$/m, '        queueMicrotask(() => d.set.call(this, value));'],
  // rrweb hooks the setters of a field's value, but a script also sets it by its number or date
  // (`valueAsNumber`, `valueAsDate`), steps it (`stepUp()`, `stepDown()`: a shop's quantity buttons),
  // writes into it (`setRangeText()`: an emoji picker, a markdown toolbar) or chooses a select's option
  // through its list (`select.options.selectedIndex`), none of which goes through those setters or fires
  // an event: the replay kept the value from before, an empty date field, a quantity of 1, the first
  // option. These are hooked too, and the field (for a list of options, the select of its first) goes
  // through rrweb's input handler (its masking and repeat check) at the end of the script's task, as a
  // value set by script does (below).
  [/^ {4}\[currentWindow\.HTMLOptionElement\.prototype, "selected"\]\n {2}\];\n/m, `    [currentWindow.HTMLOptionElement.prototype, "selected"],
    [currentWindow.HTMLInputElement.prototype, "valueAsNumber"],
    [currentWindow.HTMLInputElement.prototype, "valueAsDate"]
  ];
  for (const [proto, names] of [[currentWindow.HTMLInputElement.prototype, ["stepUp", "stepDown", "setRangeText"]], [currentWindow.HTMLTextAreaElement.prototype, ["setRangeText"]]])
    for (const name of names) handlers.push(patch(proto, name, (original) => function(...args) {
      const result = original.apply(this, args);
      queueMicrotask(() => callbackWrapper(eventHandler)({ target: this }));
      return result;
    }));
  handlers.push(hookSetter(currentWindow.HTMLOptionsCollection.prototype, "selectedIndex", { set() {
    callbackWrapper(eventHandler)({ target: this[0] });
  } }, false, currentWindow));
`],
  // A snapshot wrote a field's current value and checked state over the attributes of its markup only
  // where there was one: a box the markup checks (`checked`) and the visitor or a script unchecked, or a
  // field the markup fills (`value="..."`) and the visitor emptied, replayed checked, or filled with the
  // markup's value, unmasked, until the field's next change (test_fidelity's form test, now and then, on a
  // snapshot taken after the page's first change). The field's own state now stands either way.
  [/^ {4}if \(attributes\.type !== "radio" && attributes\.type !== "checkbox" && attributes\.type !== "submit" && attributes\.type !== "button" && value\) \{\n([\s\S]*?)^ {4}\} else if \(checked\) \{\n {6}attributes\.checked = checked;\n {4}\}$/m,
    '    if (attributes.type !== "radio" && attributes.type !== "checkbox" && attributes.type !== "submit" && attributes.type !== "button") {\n      if (value) {\n$1      } else delete attributes.value;\n    }\n    if (checked) attributes.checked = checked;\n    else delete attributes.checked;'],
  // Our custom events never go through rrweb, and we never freeze the page: record()'s two helpers
  // for those go (what rrweb itself calls stays).
  [/^record\.addCustomEvent = \(tag, payload\) => \{\n[\s\S]*?^\};\nrecord\.freezePage = \(\) => \{\n[\s\S]*?^\};\n/m, ''],
  // A full snapshot asked for while rrweb is not recording is not taken; rrweb threw its developer's message,
  // which nothing of ours would show anyone (the recorder asks only while rrweb records: src/recorder.js).
  [/^ {2}if \(!recording\) \{\n {4}throw new Error\("please take full snapshot after start recording"\);\n {2}\}\n {2}takeFullSnapshot\(isCheckout\);$/m, '  if (recording) takeFullSnapshot(isCheckout);'],
  // Images are never inlined as data URLs (inlineImages stays off).
  [/^ {2}if \(tagName === "img" && inlineImages\) \{[\s\S]*?^ {2}}\n {2}if \(\["audio", "video"\]/m, '  if (["audio", "video"]'],
  // rrweb puts the scroll events of every element and the window through one throttle, which keeps the
  // first call of its interval and the second one's arguments: when several scroll in one frame (a route
  // change resetting the window and a sidebar, a carousel beside a list), the others were never recorded.
  // The browser sends at most one scroll event a frame per target already: a wait of 0 lets each through.
  [/^ {6}sampling\.scroll \|\| 100$/m, '      0'],
  // Our slimDOMOptions are 'all' (src/recorder.js; the build fails otherwise): every rule of rrweb's test of
  // what a snapshot leaves out applies, so it is asked once per rule kind, by one pattern per attribute, not
  // through 24 tests of each option and each name. It leaves out the same: comments; scripts, and links
  // that preload or prefetch them; favicons; and meta elements of descriptions and keywords, social cards,
  // robots, http-equiv, authorship, and site verification and tokens (csrf-token). Names as rrweb lowers them.
  [/^function slimDOMExcluded\(sn, slimDOMOptions\) \{\n[\s\S]*?^}\n/m, `function slimDOMExcluded(sn) {
  if (sn.type === NodeType.Comment) return true;
  if (sn.type !== NodeType.Element) return false;
  const { tagName, attributes } = sn;
  const { rel } = attributes;
  if (tagName === "script" || tagName === "link" && (rel === "preload" && attributes.as === "script" || rel === "modulepreload" || rel === "prefetch" && typeof attributes.href === "string" && extractFileExtension(attributes.href) === "js" || rel === "shortcut icon")) return true;
  return tagName === "meta" && (/^msapplication-tile(image|color)$|^(application-name|robots|googlebot|bingbot|pinterest|author|generator|framework|publisher|progid|google-site-verification|yandex-verification|csrf-token|p:domain_verify|verify-v1|verification|shopify-checkout-api-token)$|^description|keywords$|^(og|twitter):/.test(lowerIfExists(attributes.name)) || /^(icon|apple-touch-icon|shortcut icon)$/.test(lowerIfExists(rel)) || /^(og|twitter|fb|article|product):/.test(lowerIfExists(attributes.property)) || attributes["http-equiv"] !== void 0);
}
`],
  // A node just written was handed to the iframe manager when a frame, to keep a list only the cross-origin
  // frames' messages read (above), and to the stylesheet manager when a stylesheet link, to keep a list for
  // a reload handler rrweb has not written (trackStylesheetInLinkElement is empty): both go, and what only
  // they used. (A same-origin frame's document is still recorded when it loads: onIframeLoad.)
  [/^ {12}if \(isSerializedIframe\(currentN, this\.mirror\)\) \{\n[\s\S]*?^ {12}if \(isSerializedStylesheet\(currentN, this\.mirror\)\) \{\n[\s\S]*?^ {12}}\n/m, ''],
  [/^ {8}if \(isSerializedIframe\(n, mirror\)\) \{\n {10}iframeManager\.addIframe\(n\);\n {8}\}\n {8}if \(isSerializedStylesheet\(n, mirror\)\) \{\n {10}stylesheetManager\.trackLinkElement\(n\);\n {8}\}\n/m, ''],
  [/^ {4}this\.trackLinkElement\(linkEl\);\n {2}\}\n {2}trackLinkElement\(linkEl\) \{\n[\s\S]*?^ {2}}\n/m, '  }\n'],
  [/^ {4}this\.trackedLinkElements = \/\* @__PURE__ \*\/ new WeakSet\(\);\n {2}\}\n {2}\/\/ TODO: take snapshot on stylesheet reload by applying event listener\n {2}trackStylesheetInLinkElement\(_linkEl\) \{\n {2}\}\n/m, '  }\n'],
  [/^ {4}__publicField\(this, "trackedLinkElements", [^\n]*\n/m, ''],
  // Methods nothing calls (the package exports only record, and we read its mirror by getId and getNode
  // only): the mirror's list of ids and replace(), the stylesheet mirror's lookup of a sheet by id (and the
  // map of every sheet it kept for it) and its id for cross-origin frames', the processed-node manager's
  // empty destroy().
  [/^ {2}getIds\(\) \{\n {4}return Array\.from\(this\.idNodeMap\.keys\(\)\);\n {2}\}\n/m, ''],
  [/^ {2}replace\(id, n\) \{\n[\s\S]*?^ {2}}\n(?= {2}reset\(\) \{)/m, ''],
  [/^ {4}(__publicField\(this, "idStyleMap", [^\n]*|this\.idStyleMap = [^\n]*|this\.idStyleMap\.set\(newId, stylesheet\);)\n/gm, '', 3],
  [/^ {2}getStyle\(id\) \{\n {4}return this\.idStyleMap\.get\(id\) \|\| null;\n {2}\}\n/m, ''],
  [/^ {2}generateId\(\) \{\n {4}return this\.id\+\+;\n {2}\}\n/m, ''],
  [/^ {2}destroy\(\) \{\n {2}\}\n/m, ''],
  [/^ {6}processedNodeManager\.destroy\(\);\n/m, ''],
  // An XHTML page (application/xhtml+xml) names its elements in lower case (tagName `textarea`, not
  // `TEXTAREA`), and rrweb's DOM changes asked tags in upper case: a textarea's text set by script went out
  // as a text node, in clear where its value is masked (the replay showed it so);
  // a refilled select's value was not written (above); a dialog opened modal was not said to be; a style's
  // CSS went out twice (in _cssText and as its text); and the title's changes, which rrweb leaves out of an
  // HTML page's, went out. Each asks the element's localName now, lower case in both kinds of page.
  [/^ {2}const parentTagName = parent && parent\.tagName;$/m, '  const parentTagName = parent && parent.localName;'],
  [/^ {10}const parentTag = parentNode2\.tagName;$/m, '          const parentTag = parentNode2.localName;'],
  [/(\.tagName|\bparentTagName|\bparentTag) === "(STYLE|SCRIPT|TEXTAREA|TITLE|SELECT)"/g, (_, what, tag) => `${what.replace('tagName', 'localName')} === "${tag.toLowerCase()}"`, 8],
  [/attributeName === "open" && target\.tagName === "DIALOG"/, 'attributeName === "open" && tagNameLower === "dialog"'],
  // rrweb's classes set their fields through a helper (__publicField(this, "name", value), which
  // defines the property); none of these classes has a parent or an accessor of such a name, so a
  // plain assignment does the same, in fewer bytes: `this.name = (value)`, the call's own closing
  // parenthesis closing the value's.
  [/__publicField\(this, ("[\w$]+"), /g, (_, name) => `this[${name}] = (`, 25],
  // A field declared without a value only makes the property undefined until the constructor (or
  // MutationBuffer's init()) sets it. No method of these classes has such a name and nothing lists an
  // instance's own keys, so reading one not set yet gives the same undefined: the declarations go.
  [/__publicField\(this, ("[\w$]+")\);\n/g, '', 28],
  // A script that rewrites a same-origin frame (document.open(), write(), close(): an ad slot, an old widget,
  // a print preview) keeps the frame's document, which loads again. rrweb wrote the new page under the
  // document's old id, and the player, which already had that id, kept the first page for good; and each
  // load (and each full snapshot) observed the document once more, so every change in it went out twice,
  // then three times. A document that loads again is a new page under a new id, observed once: its
  // observers stop and start again (document.open() took its listeners: what the visitor typed into the
  // page written then went unrecorded).
  [/^( {8})const iframeDoc = n\.contentDocument;\n/m, '$&$1if (iframeDoc) mirror2.nodeMetaMap.delete(iframeDoc);\n'],
  [/^ {4}iframeManager\.addLoadListener\(\(iframeEl\) => \{\n {6}try \{\n {8}handlers\.push\(observe\(iframeEl\.contentDocument\)\);/m, `    const observed = new WeakMap();
    iframeManager.addLoadListener((iframeEl) => {
      try {
        const d = iframeEl.contentDocument;
        if (observed.has(d)) observed.get(d)();
        observed.set(d, observe(d));
        handlers.push(observed.get(d));`],
  // (rrweb's Array.from is the browser's: see above.)
  [/\bArray\.from\(/g, '__hsB.from(', 14],
]

// Options we never pass, and which the cuts above leave unread: the lines that only take them from
// record()'s options (with their defaults) and hand them on from one options object to the next go. Any
// other use left fails the build: what one would decide must then be cut first.
const unread = ['recordCanvas', 'inlineImages', 'dataURLOptions', 'collectFonts', 'userTriggeredOnInput', 'recordCrossOriginIframes', 'recordDOM', 'recordAfter', 'mousemoveWait', 'checkoutEveryNth', 'packFn', 'plugins', 'canvasManager', 'keepIframeSrcFn', 'ignoreCSSAttributes']
function dropUnread(src) {
  for (const name of unread) {
    const line = new RegExp(`^ *(?:(?:let )?${name}(?: = [^\\n]*|: this\\.${name})?|"${name}")[,;]?\\n`, 'gm')
    if (!line.test(src)) throw new Error(`slim-rrweb-record: rrweb no longer takes ${name}; check build.mjs against this rrweb`)
    src = src.replace(line, '')
    const use = src.match(new RegExp(`^.*\\b${name}\\b.*$`, 'm'))
    if (use) throw new Error(`slim-rrweb-record: ${name} is still used (${use[0].trim()}); check build.mjs against this rrweb`)
  }
  return src
}

// rrweb's enums are TypeScript's: each is a function that builds a two-way table (names and numbers) on
// every load, and every use reads it by name (EventType.FullSnapshot). Where rrweb reads an enum only by
// a member's name, each use becomes the member's number, taken from the enum's own definition, and the
// table goes (MouseInteractions, which rrweb also reads by a computed key, keeps a table: see below). The
// count is of the uses after the cuts above; an unknown member fails the build.
const enums = { EventType: 18, IncrementalSource: 17, MouseInteractions: 7, PointerTypes: 8, MediaInteractions: 5, NodeType: 18 }
function inlineEnums(src) {
  for (const [name, times] of Object.entries(enums)) {
    const member = new RegExp(`^ {2}${name}2\\[${name}2\\["(\\w+)"\\] = (\\d+)\\] = "\\1";$`, 'gm')
    const values = new Map([...src.matchAll(member)].map((m) => [m[1], m[2]]))
    let n = 0
    src = src.replace(new RegExp(`\\b${name}\\.(\\w+)\\b`, 'g'), (use, key) => {
      if (!values.has(key)) throw new Error(`slim-rrweb-record: ${use} is not in rrweb's ${name}; check build.mjs against this rrweb`)
      n++
      return values.get(key)
    })
    if (n !== times) throw new Error(`slim-rrweb-record: ${name} was read by name ${n} times, not ${times}; check build.mjs against this rrweb`)
  }
  // MouseInteractions is also read by a member's name as a computed key, and its names listed (Object.keys,
  // which rrweb filters to the names): a plain object of names and numbers does both, without the numbers'
  // names, on every load.
  const table = /^var MouseInteractions = \/\* @__PURE__ \*\/ \(\(MouseInteractions2\) => \{\n[\s\S]*?^\}\)\(MouseInteractions \|\| \{\}\);$/m
  const names = [...src.matchAll(/^ {2}MouseInteractions2\[MouseInteractions2\["(\w+)"\] = (\d+)\] = "\1";$/gm)]
  if (!table.test(src) || names.length < 10) throw new Error("slim-rrweb-record: rrweb's MouseInteractions changed; check build.mjs against this rrweb")
  return src.replace(table, `var MouseInteractions = { ${names.map((m) => `${m[1]}: ${m[2]}`).join(', ')} };`)
}

const slimRrweb = {
  name: 'slim-rrweb-record',
  setup(b) {
    b.onLoad({ filter: /@rrweb[\\/]record[\\/]dist[\\/]record\.js$/ }, async (args) => {
      // (The cut of rrweb's slimDOMExcluded holds for slimDOMOptions 'all' only.)
      if (!/^ {2}slimDOMOptions: 'all',/m.test(await readFile(new URL('src/recorder.js', import.meta.url), 'utf8'))) throw new Error("slim-rrweb-record: src/recorder.js no longer passes slimDOMOptions: 'all'")
      let src = await readFile(args.path, 'utf8')
      for (const [re, to, times = 1] of cuts) {
        const n = (src.match(new RegExp(re.source, re.flags.replace('g', '') + 'g')) || []).length
        if (n !== times) throw new Error(`slim-rrweb-record: ${re} matched ${n} times, not ${times}; check build.mjs against this rrweb`)
        src = src.replace(re, to)
      }
      const clean = JSON.stringify(fileURLToPath(new URL('src/clean.js', import.meta.url)))
      return { contents: `import { B as __hsB } from ${clean};\n` + inlineEnums(dropUnread(src)), loader: 'js' }
    })
  },
}

// The gzip worker runs from a Blob URL made of its own function's text: src/worker-main.js, bundled
// and minified, becomes the body of the function that src/worker-src.js exports, which then uses
// nothing outside it (the page's thread calls the same function when it closes: gzip.js).
const workerSource = {
  name: 'worker-source',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]worker-src\.js$/ }, async () => {
      // The recorder's own options, without its banner and plugins (the worker has no rrweb).
      const text = (await bundle({ entryPoints: ['src/worker-main.js'], banner: {}, plugins: [] })).trim()
      if (!/__hsw/.test(text)) throw new Error('the gzip worker did not build')
      // (Its JSON is its scope's: the worker's own, or the browser's that a closing page gives it, gzip.js.)
      return { contents: `export const WORKER = (__hsw, JSON = __hsw.JSON) => {${text}}`, loader: 'js' }
    })
  },
}

export const options = {
  absWorkingDir: fileURLToPath(new URL('.', import.meta.url)), // paths below are relative to this package
  entryPoints: ['src/index.js'],
  bundle: true,
  format: 'iife',
  minify: true,
  target: 'es2020',
  legalComments: 'none',
  // rrweb's warnings to developers (a node it could not record, say) would go
  // to the visitor's console, and our console capture would report them as
  // the site's: they are left out. Its console.error calls stay.
  pure: ['console.warn', 'console.log'],
  banner: { js: '/*! Hindsight recorder. Includes rrweb (MIT, github.com/rrweb-io/rrweb). */' },
  plugins: [slimRrweb, workerSource],
  logLevel: 'warning',
}

// esbuild bundles and minifies; terser then minifies again (two passes of its
// compressor), which takes 5% more off the gzipped bundle: room the 30 KB
// budget had run out of. The banner (rrweb's licence) stays.
//
// Terser also shortens the names of these fields and methods of rrweb's own classes (its mutation buffer,
// mirrors, and shadow DOM, stylesheet, iframe and processed-node managers), which only rrweb's code reads,
// always as a property (this.addedSet, a destructured option): nothing of ours, nothing sent, nothing
// read by a string. MutationBuffer.init() copies its options by name (a list of strings), so those names
// (mutationCb, the managers) are not in the list. Any listed name written as a string fails the build.
const privateNames = ['addedSet', 'movedSet', 'droppedSet', 'removesSubTreeCache', 'genTextAreaValueMutation', 'nodeMetaMap',
  'idNodeMap', 'styleIDMap', 'attributeMap', 'movedMap', 'mapRemoves', 'processMutation', 'processMutations', 'genAdds',
  'styleMirror', 'restoreHandlers', 'shadowDoms', 'bypassOptions', 'adoptedStyleSheetCb', 'loadListener', 'inOtherBuffer',
  'nodeMap', 'patchAttachShadow', 'observeAttachShadow', 'addShadowRoot', 'attachLinkElement', 'adoptStyleSheets',
  'attachIframe', 'addLoadListener', 'removeNodeFromMap', 'getMeta', 'hasNode']
// pure_getters: reading a property never has an effect that matters (no getter of the page's that we read
// runs for its effect, and no read of ours is there to throw on null): what changes is that options nobody
// reads are no longer taken out of rrweb's option objects, and a value read once is written where it is used
// (-52 bytes gzipped; the outputs compared beautified, 2026-12-07).
const terserOptions = {
  ecma: 2019,
  compress: { passes: 3, pure_getters: true },
  mangle: { properties: { regex: new RegExp(`^(${privateNames.join('|')})$`) } },
  format: { comments: /^!/ },
}

// The bundle's text: `extra` overrides esbuild's options (minify: false leaves terser out too).
export async function bundle(extra = {}) {
  const opts = { ...options, ...extra }
  const out = await build({ ...opts, write: false, outfile: 'recorder.js' })
  const text = out.outputFiles[0].text
  // (this["name"] is a property, which terser shortens too; any other string is not)
  const quoted = privateNames.find((name) => new RegExp(`(?<![\\w$)\\]]\\[)["'\`]${name}["'\`]|["'\`]${name}["'\`](?!\\])`).test(text))
  if (quoted) throw new Error(`build.mjs: ${quoted} is written as a string; take it out of privateNames`)
  return opts.minify ? (await minify(text, terserOptions)).code : text
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = new URL('../build/recorder.js', import.meta.url)
  await mkdir(new URL('.', out), { recursive: true }) // a fresh clone has no build directory
  await writeFile(out, await bundle())
}
