// The dashboard's small behaviours, kept out of the pages so that the Content-Security-Policy
// can refuse every inline script. Each one starts only where its element is on the page.
(function () {
  'use strict';

  // Session list: leave the filters not in use out of the URL, so a bookmarked or shared list reads clearly.
  var filters = document.getElementById('session-filters');
  if (filters) {
    filters.addEventListener('submit', function (event) {
      Array.prototype.forEach.call(event.target.elements, function (field) {
        if (field.name && field.value === '' && !field.disabled) field.disabled = true;
      });
      // Back and forward restore the page as it was; give the fields back to the form.
      setTimeout(function () {
        Array.prototype.forEach.call(event.target.elements, function (field) { field.disabled = false; });
      }, 0);
    });
  }

  // Install page: copy buttons.
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var text = document.querySelector(button.dataset.copy).textContent;
      navigator.clipboard.writeText(text).then(function () { button.textContent = 'Copied'; });
    });
  });

  // Install page: the live check, until the first session arrives.
  var status = document.getElementById('install-status');
  function poll() {
    fetch(status.dataset.url, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (data) {
      status.textContent = data.label;
      status.className = 'status status-' + data.state;
      if (data.state !== 'recording') setTimeout(poll, 3000);
    }).catch(function () { setTimeout(poll, 5000); });
  }
  if (status && status.dataset.url && !status.classList.contains('status-recording')) setTimeout(poll, 3000);
})();
