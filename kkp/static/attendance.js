// The attendance page (templates/admin/events/attendance.html): the search box hides
// the rows that do not match as one types, and a tap on present / absent / excused is
// sent in the background and changes the row's buttons and the counts in place (the
// form posts as it is without JavaScript, and comes back to the row).
(function () {
  "use strict";

  var list = document.getElementById("attendance-list");
  if (!list) { return; }
  var search = document.getElementById("attendance-q");
  var none = document.getElementById("attendance-none");
  var announce = document.getElementById("attendance-announce");

  function filter() {
    var words = search.value.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(list.querySelectorAll(".attendance-row"), function (row) {
      var match = !words || row.getAttribute("data-search").indexOf(words) !== -1;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    if (none) { none.hidden = shown > 0; }
  }

  if (search) {
    search.addEventListener("input", filter);
  }

  function show(form, data) {
    Array.prototype.forEach.call(form.querySelectorAll("button[data-mark]"), function (button) {
      var mark = button.getAttribute("data-mark");
      var pressed = data.attendance === mark;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.value = pressed ? "" : mark;
    });
    Object.keys(data.counts).forEach(function (name) {
      var figure = document.querySelector("[data-count='" + name + "']");
      if (figure) { figure.textContent = String(data.counts[name]); }
    });
  }

  // without the script's help: the server answers with the page and its message
  function sendPlainly(form, button) {
    var plain = document.createElement("input");
    plain.type = "hidden";
    plain.name = "status";
    plain.value = button.value;
    form.appendChild(plain);
    Array.prototype.forEach.call(form.querySelectorAll("button[data-mark]"), function (b) {
      b.removeAttribute("name");
    });
    form.submit();
  }

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-attendance-form") || !window.fetch || !window.FormData) { return; }
    var button = event.submitter;
    if (!button) { return; }
    event.preventDefault();
    var body = new FormData(form);
    body.set("status", button.value);
    form.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      form.removeAttribute("aria-busy");
      show(form, data);
      if (announce) {
        var name = form.closest(".attendance-row").querySelector(".attendance-name").textContent;
        var pressed = form.querySelector("button[aria-pressed='true']");
        announce.textContent = name + ": " + (pressed ? pressed.firstChild.textContent : "–");
      }
    }).catch(function () {
      // refused (the page shows why) or the network failed: send the form the old way
      form.removeAttribute("aria-busy");
      sendPlainly(form, button);
    });
  });
})();
