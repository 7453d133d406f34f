// Runs first: any script error is recorded on <html data-js-errors> (read by the browser test) and
// shown in a banner, so a broken report says so instead of silently missing its sample browser.
(function () {
  'use strict';
  var count = 0;
  window.addEventListener('error', function (event) {
    count += 1;
    document.documentElement.setAttribute('data-js-errors', String(count));
    var banner = document.getElementById('js-error');
    if (banner) {
      banner.hidden = false;
      banner.textContent = 'This report\u2019s script failed (' + (event.message || 'error') +
          '); the tables and charts above are complete, the sample browser may not be.';
    }
  });
})();
