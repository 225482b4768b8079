// "Select all on this page": a checkbox with data-select-all="<name>" ticks or clears
// the checkboxes of that name in its form, and follows them. Without JavaScript the
// server reads the ticked box as "every row of the page".
(function () {
  "use strict";
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var form = all.form;
    var name = all.getAttribute("data-select-all");
    var rows = Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="' + name + '"]'));
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
    });
    rows.forEach(function (box) {
      box.addEventListener("change", function () {
        all.checked = rows.every(function (b) { return b.checked; });
      });
    });
  });
})();
