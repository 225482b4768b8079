// Questions that wait for another's answer (data-shown-if names the field,
// data-shown-if-value the answer): hidden until it is given. Without this script every
// question shows, with its condition in words (which this script hides).
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-shown-if]");
  if (!boxes.length) return;
  var form = boxes[0].closest("form");

  function value(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : null;
  }

  function visible(box) {
    var source = document.getElementById(box.getAttribute("data-shown-if") + "-box");
    if (source && source.hidden) return false;
    return value(box.getAttribute("data-shown-if")) === box.getAttribute("data-shown-if-value");
  }

  function update() {
    // in the form's order: a question's condition comes before it
    boxes.forEach(function (box) {
      box.hidden = !visible(box);
    });
  }

  boxes.forEach(function (box) {
    var note = box.querySelector(".question-condition");
    if (note) note.hidden = true;
  });
  form.addEventListener("change", update);
  update();
})();
