// The editors' menu on a phone (a <details>): Escape closes it and gives the focus
// back to its button, as people expect of a menu.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var menu = document.querySelector("details.side-nav-phone[open]");
    if (!menu || !menu.contains(document.activeElement)) { return; }
    menu.open = false;
    menu.querySelector("summary").focus();
  });
})();
