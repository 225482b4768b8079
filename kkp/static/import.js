// Progress of a CSV import: asks the server once a second, reloads when it is over.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var bar = document.getElementById("import-bar");
  var text = document.getElementById("import-text");
  var url = box.getAttribute("data-url");

  function update(progress) {
    bar.max = Math.max(progress.total_rows, 1);
    bar.value = progress.processed_rows;
    bar.textContent = progress.text;
    text.textContent = progress.text;
    if (progress.finished) {
      window.location.reload();
      return;
    }
    window.setTimeout(poll, 1000);
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

  window.setTimeout(poll, 1000);
})();
