// The dashboard's small behaviours, kept out of the pages so that the Content-Security-Policy
// can refuse every inline script. Each one starts only where its element is on the page.
(function () {
  'use strict';

  // Skip links: move keyboard focus to their target (the player's play button, the session list)
  // without a fragment in the address, which would end up in copied links.
  document.querySelectorAll('[data-skip-to]').forEach(function (link) {
    link.addEventListener('click', function (event) {
      var target = document.querySelector(link.dataset.skipTo) || document.getElementById('main');
      if (!target) return;
      event.preventDefault();
      if (target.tabIndex < 0 && !target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus();
    });
  });

  // A site's tabs: on a phone their row scrolls sideways; the current one is brought into it, so that the
  // row says which page this is.
  var tabs = document.querySelector('nav.tabs');
  var currentTab = tabs && tabs.querySelector('[aria-current="page"]');
  if (currentTab) {
    var row = tabs.getBoundingClientRect(), tab = currentTab.getBoundingClientRect();
    if (tab.left < row.left || tab.right > row.right) tabs.scrollLeft += tab.left - row.left - (row.width - tab.width) / 2;
  }
  // A tab reached with the keyboard comes wholly into the row: Chromium leaves one that shows 32 px or more
  // where it is, its right edge and its focus ring out of sight.
  if (tabs) {
    tabs.addEventListener('focusin', function (event) {
      event.target.scrollIntoView({block: 'nearest', inline: 'nearest'});
    });
  }

  // Messages ("Settings saved.", mostly after a redirect): a live region is heard when its content changes, not
  // with the page it came in. Once the page has loaded (and a screen reader has seen the region), each message
  // is put back as new text, in one task so that nothing repaints or moves.
  var flash = document.querySelector('[data-announce]');
  if (flash) {
    window.addEventListener('load', function () {
      setTimeout(function () {
        flash.querySelectorAll('li').forEach(function (item) { item.replaceChildren(item.textContent); });
        flash.dataset.announce = 'said';
      }, 300);
    });
  }

  // Forms that take something away at once (a member off the team) ask first.
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // Settings: a CSS selector this browser cannot read is pointed out, and the form is not sent with one. The
  // recorder leaves such a selector out, so what it names would be recorded unmasked, and nothing said so.
  var selectorBoxes = document.querySelectorAll('textarea[data-css-selectors]');
  function selectorError(box) {
    var probe = document.createDocumentFragment();
    var bad = box.value.split('\n').map(function (line) { return line.trim(); }).filter(function (line) {
      try { probe.querySelector(line || '*'); return false; } catch (error) { return true; }
    });
    var field = box.closest('.field'), note = field.querySelector('.selector-error');
    if (note) note.remove();
    field.classList.toggle('has-error', bad.length > 0);
    box.setAttribute('aria-invalid', bad.length > 0 ? 'true' : 'false');
    if (!bad.length) return false;
    note = document.createElement('p');
    note.className = 'error selector-error';
    note.setAttribute('role', 'alert');
    note.textContent = 'Not a CSS selector: \u201c' + bad[0] + '\u201d; the recorder skips it. Fix it or take it out.';
    field.appendChild(note);
    return true;
  }
  selectorBoxes.forEach(function (box) {
    selectorError(box);
    box.addEventListener('change', function () { selectorError(box); });
  });
  if (selectorBoxes.length) {
    selectorBoxes[0].form.addEventListener('submit', function (event) {
      var bad = Array.prototype.filter.call(selectorBoxes, selectorError);
      if (!bad.length) return;
      event.preventDefault();
      bad[0].focus();
    });
  }

  // Session list: Escape folds the open filters away, from any of their fields, back on their summary.
  var filtersBox = document.getElementById('session-filters-box');
  if (filtersBox) {
    filtersBox.addEventListener('keydown', function (event) {
      if (event.key !== 'Escape' || !filtersBox.open || event.defaultPrevented) return;
      filtersBox.open = false;
      filtersBox.querySelector('summary').focus();
    });
  }

  // Forms whose fields make the page's address (the session filters, the heatmap's choices): leave the fields
  // not in use out of the URL, so a bookmarked or shared page reads clearly.
  var queryForms = document.querySelectorAll('form[data-query-form]');
  // Back and forward: Chromium refills what was typed but never applied, and the form then disagrees with the
  // list below it. Reset gives each field the value the page was served with, which is what its address says.
  window.addEventListener('pageshow', function (event) {
    var entry = window.performance && performance.getEntriesByType && performance.getEntriesByType('navigation')[0];
    if (!event.persisted && !(entry && entry.type === 'back_forward')) return;
    Array.prototype.forEach.call(queryForms, function (form) { form.reset(); });
  });
  queryForms.forEach(function (form) {
    form.addEventListener('submit', function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.value === '' && !field.disabled) field.disabled = true;
      });
      // Back and forward restore the page as it was; give the fields back to the form.
      setTimeout(function () {
        Array.prototype.forEach.call(form.elements, function (field) { field.disabled = false; });
      }, 0);
    });
  });

  // Install page: copy buttons. The async clipboard exists only in a secure context: a dashboard served
  // over plain HTTP (a self-hosted one on the office network) copies with the older command, and where
  // neither works the snippet is left selected for the viewer to copy.
  function copyByCommand(source) {
    getSelection().selectAllChildren(source);
    var copied = false;
    try { copied = document.execCommand('copy'); } catch (e) { copied = false; }
    if (copied) getSelection().removeAllRanges();
    return copied;
  }
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var source = document.querySelector(button.dataset.copy);
      var done = function () { button.textContent = 'Copied'; };
      var fallback = function () {
        if (copyByCommand(source)) done();
        else button.textContent = 'Selected: press Ctrl+C';
      };
      if (navigator.clipboard) navigator.clipboard.writeText(source.textContent).then(done, fallback);
      else fallback();
    });
  });

  // Install page: the live check. Polls while the page is open: the first session turns it to
  // "Recording", and a refused visit shows with its reason without a reload.
  var status = document.getElementById('install-status');
  var refusals = document.getElementById('install-refusals');
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text; // page origins come from visitors' requests: text, never HTML
    return node;
  }
  function refusalItem(refusal, settingsUrl) {
    var item = element('li', 'refusal');
    item.dataset.reason = refusal.reason;
    item.appendChild(element('p', 'refusal-what', refusal.what));
    var fix = item.appendChild(element('p', 'refusal-fix', refusal.fix));
    if (refusal.setting && settingsUrl) {
      var link = element('a', null, 'Open Settings');
      link.href = settingsUrl + '#id_' + refusal.setting;
      fix.append(' ', link);
    }
    var when = item.appendChild(element('p', 'refusal-when muted', 'Last refused at '));
    var time = when.appendChild(element('time', null, refusal.when));
    time.dateTime = refusal.at;
    return item;
  }
  function showRefusals(data) {
    var list = refusals.querySelector('ul');
    var shown = Array.prototype.map.call(list.children, function (li) { return li.textContent; }).join('|');
    var items = data.refusals.map(function (r) { return refusalItem(r, data.settings_url); });
    // Unchanged: leave the list alone, so that screen readers do not hear it again.
    if (items.map(function (li) { return li.textContent; }).join('|') === shown) return;
    list.replaceChildren.apply(list, items);
    refusals.hidden = items.length === 0;
  }
  function poll() {
    if (document.hidden) return setTimeout(poll, 3000);
    fetch(status.dataset.url, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (data) {
      if (status.textContent.trim() !== data.label) status.textContent = data.label;
      status.className = 'status status-' + data.state;
      if (refusals) showRefusals(data);
      setTimeout(poll, data.state === 'recording' ? 10000 : 3000);
    }).catch(function () { setTimeout(poll, 5000); });
  }
  if (status && status.dataset.url) setTimeout(poll, 3000);
})();
