// A form with data-confirm="question" asks before it is sent (no inline handlers: the
// Content-Security-Policy allows only script files of ours).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
