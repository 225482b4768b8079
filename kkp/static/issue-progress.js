// Progress of an issue's sending: asks the server every 2 seconds and updates the
// figures and the status badge beside the title in place. Only a change of status is
// announced (the role="status" region); the figures change quietly. Stops asking once
// the sending is over.
(function () {
  "use strict";
  var box = document.getElementById("issue-progress");
  if (!box || box.getAttribute("data-running") !== "true") { return; }
  var url = box.getAttribute("data-url");
  var lang = document.documentElement.lang || "de";
  var numbers = new Intl.NumberFormat(lang);
  var rates = new Intl.NumberFormat(lang, { minimumFractionDigits: 0, maximumFractionDigits: 1 });

  function byId(id) { return document.getElementById(id); }
  function setText(id, text) {
    var el = byId(id);
    if (el && el.textContent !== text) { el.textContent = text; }
  }

  function showFailures(failures) {
    var table = byId("failures");
    var body = table.querySelector("tbody");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    failures.forEach(function (f) {
      var row = document.createElement("tr");
      [f.recipient, f.answer, f.outcome_text, f.at_text].forEach(function (value) {
        var cell = document.createElement("td");
        cell.textContent = value || "";
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
    table.hidden = failures.length === 0;
    byId("no-failures").hidden = failures.length !== 0;
  }

  function update(p) {
    var bar = byId("progress-bar");
    bar.max = Math.max(p.total, 1);
    bar.value = p.sent;
    bar.textContent = p.sent + " / " + p.total;
    setText("progress-text", p.progress_text);
    setText("n-sent", numbers.format(p.sent));
    setText("n-failed", numbers.format(p.failed));
    setText("n-pending", numbers.format(p.left));
    setText("n-cancelled", numbers.format(p.cancelled));
    setText("n-rate", rates.format(p.rate));
    setText("n-left", p.time_left_text || "–");
    var status = byId("status-text");
    if (status.getAttribute("data-status") !== p.status) {
      // the one change worth announcing
      status.setAttribute("data-status", p.status);
      status.textContent = p.status_text;
    }
    var badge = byId("issue-badge");  // beside the title, in the same words
    if (badge && badge.getAttribute("data-status") !== p.status) {
      badge.setAttribute("data-status", p.status);
      badge.className = badge.className.replace(/\bbadge-issue-\S+/, "badge-issue-" + p.status);
      badge.textContent = p.status_text;
    }
    var reason = byId("pause-reason");
    reason.hidden = !(p.status === "paused" && p.pause_reason);
    setText("pause-reason", p.pause_reason || "");
    var shown = document.querySelectorAll("[data-show-when]");
    for (var i = 0; i < shown.length; i++) {
      var when = shown[i].getAttribute("data-show-when").split(" ");
      shown[i].hidden = when.indexOf(p.status) === -1;
    }
    showFailures(p.failures || []);
    box.setAttribute("data-running", p.running ? "true" : "false");
    if (p.running) { window.setTimeout(poll, 2000); }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(update)
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 2000);
})();
