// "Select all": a checkbox with data-select-all="<name>" ticks or clears the checkboxes
// of that name in its form (those in its own table, when it sits in one; boxes may
// belong to the form through their form="" attribute), and follows them. An element
// with data-selected-count="<name>" in the form shows how many are ticked, in its
// <output>. Without JavaScript the server reads a ticked "select all" box as every
// row shown.
(function () {
  "use strict";
  function boxes(form, name, scope) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.type === "checkbox" && el.name === name && (!scope || scope.contains(el));
    });
  }
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var form = all.form;
    if (!form) { return; }
    var rows = boxes(form, all.getAttribute("data-select-all"), all.closest("table"));
    function changed() { form.dispatchEvent(new Event("rows-selected")); }
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
      changed();
    });
    rows.forEach(function (box) {
      box.addEventListener("change", function () {
        all.checked = rows.length > 0 && rows.every(function (b) { return b.checked; });
        changed();
      });
    });
  });
  document.querySelectorAll("[data-selected-count]").forEach(function (counter) {
    var form = counter.closest("form");
    var output = counter.querySelector("output");
    if (!form || !output) { return; }
    var name = counter.getAttribute("data-selected-count");
    function update() {
      output.textContent = String(boxes(form, name).filter(function (b) { return b.checked; }).length);
    }
    form.addEventListener("rows-selected", update);
    boxes(form, name).forEach(function (box) { box.addEventListener("change", update); });
    update();
    counter.hidden = false;
  });
})();
