// Renders the server's own contract into the page of GET /docs. A file rather than an inline
// script, so the page's Content-Security-Policy can allow scripts from this server only.
/* global Redoc */
(function () {
  'use strict';
  var el = document.getElementById('redoc');
  Redoc.init('/openapi.yaml', {
    // no fonts from another host: the system's sans-serif and monospace
    theme: {
      typography: {
        fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
        headings: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
        code: { fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace' }
      }
    },
    expandResponses: '200,201'
  }, el, function (err) {
    // the headless check (tests/docs) waits for this mark rather than guessing a delay
    document.body.setAttribute('data-docs', err ? 'error' : 'rendered');
  });
})();
