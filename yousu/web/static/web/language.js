// The language switch of every page's header submits itself when a language is picked. An inline
// onchange handler would be refused by the Content-Security-Policy, so the behaviour lives here; without
// script the form's own button (in <noscript>) does the same.
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
})();
