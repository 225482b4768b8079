// The composer's enhancements (templates/admin/issues/edit.html): a Markdown toolbar
// (with "Insert image": upload a picture and put it in the text) and a live preview
// beside each Markdown text area, autosave of a draft, and moving articles without a
// reload (buttons, or dragging with SortableJS). Without this file the form does all
// of it by posting (a picture is the article's own image field); the texts come
// translated in data-text-*.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form || !window.fetch) { return; }
  var status = document.getElementById("composer-status");
  var csrf = form.querySelector("input[name=csrf_token]").value;

  function text(name, values) {
    var s = form.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { s = s.replace("{" + k + "}", values[k]); });
    return s;
  }
  function say(message) { if (status) { status.textContent = message; } }

  // Every request: the CSRF token in a header, JSON back; a refusal's message or null.
  function post(url, body, isJson) {
    var headers = { "Accept": "application/json", "X-CSRFToken": csrf };
    if (isJson) { headers["Content-Type"] = "application/json"; body = JSON.stringify(body); }
    return fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          var message = data.message || (data.error && data.error.message);
          return { ok: response.ok, data: data, message: message || text("offline") };
        });
      }, function () { return { ok: false, data: {}, message: text("offline") }; });
  }

  // -- the Markdown toolbar ----------------------------------------------------------

  function replaceSelection(area, before, after, placeholder) {
    var start = area.selectionStart, end = area.selectionEnd;
    var chosen = area.value.slice(start, end) || placeholder;
    insert(area, start, end, before + chosen + after);
    area.setSelectionRange(start + before.length, start + before.length + chosen.length);
  }

  function prefixLines(area, prefix) {
    var value = area.value;
    var start = area.selectionStart === 0 ? 0 : value.lastIndexOf("\n", area.selectionStart - 1) + 1;
    var end = value.indexOf("\n", area.selectionEnd);
    if (end === -1) { end = value.length; }
    var lines = value.slice(start, end).split("\n").map(function (line, i) {
      return prefix(i) + line;
    });
    var replaced = lines.join("\n");
    insert(area, start, end, replaced);
    area.setSelectionRange(start, start + replaced.length);
  }

  // execCommand keeps the browser's undo; setRangeText where it is missing.
  function insert(area, start, end, value) {
    area.focus();
    area.setSelectionRange(start, end);
    if (!document.execCommand || !document.execCommand("insertText", false, value)) {
      area.setRangeText(value, start, end, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  var ACTIONS = {
    bold: function (a) { replaceSelection(a, "**", "**", "…"); },
    italic: function (a) { replaceSelection(a, "*", "*", "…"); },
    heading: function (a) { prefixLines(a, function () { return "## "; }); },
    bullets: function (a) { prefixLines(a, function () { return "- "; }); },
    numbers: function (a) { prefixLines(a, function (i) { return (i + 1) + ". "; }); },
    link: function (a) {
      var start = a.selectionStart, end = a.selectionEnd;
      var label = a.value.slice(start, end) || "…";
      insert(a, start, end, "[" + label + "](https://)");
      var url = start + label.length + 3;
      a.setSelectionRange(url, url + 8);
    }
  };

  // -- a picture in the text: the dialog asks for the file and its words -------------

  var dialog = document.getElementById("image-dialog");
  var imageFor = null;  // the text area and its selection the picture goes into

  function imageError(message) {
    var error = document.getElementById("image-dialog-error");
    error.textContent = message || "";
    error.hidden = !message;
  }

  function openImageDialog(area) {
    if (!dialog || !dialog.showModal) { return; }
    imageFor = { area: area, start: area.selectionStart, end: area.selectionEnd };
    dialog.querySelector("form").reset();
    imageError("");
    dialog.showModal();
  }

  function markdownImage(alt, path) {
    var words = alt.replace(/\s+/g, " ").trim().replace(/([\\\[\]])/g, "\\$1");
    return "![" + words + "](" + path + ")";
  }

  if (dialog) {
    var fileInput = document.getElementById("image-file");
    var altInput = document.getElementById("image-alt");
    var insertButton = document.getElementById("image-dialog-insert");
    document.getElementById("image-dialog-cancel").addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("close", function () {
      if (imageFor) { imageFor.area.focus(); }
    });
    dialog.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      var file = fileInput.files[0], alt = altInput.value.trim();
      if (!file) { imageError(text("image-missing")); fileInput.focus(); return; }
      if (!alt) { imageError(text("alt-missing")); altInput.focus(); return; }
      var data = new FormData();
      data.append("image", file);
      insertButton.disabled = true;
      imageError("");
      post(dialog.getAttribute("data-upload-url"), data, false).then(function (answer) {
        insertButton.disabled = false;
        if (!answer.ok) { imageError(answer.message); fileInput.focus(); return; }
        var target = imageFor;
        imageFor = null;
        dialog.close();
        var value = target.area.value;
        // a picture is a paragraph of its own
        var before = target.start > 0 && value[target.start - 1] !== "\n" ? "\n\n" : "";
        var after = target.end < value.length && value[target.end] !== "\n" ? "\n\n" : "";
        var markdown = before + markdownImage(alt, answer.data.path) + after;
        insert(target.area, target.start, target.end, markdown);
        var caret = target.start + markdown.length;
        target.area.setSelectionRange(caret, caret);
      });
    });
  }
  ACTIONS.image = openImageDialog;

  // -- the live preview --------------------------------------------------------------

  var previewUrl = form.getAttribute("data-preview-url");

  function preview(area, pane) {
    var body = pane.querySelector(".md-preview-body");
    post(previewUrl, { text: area.value }, true).then(function (answer) {
      if (answer.ok) { body.innerHTML = answer.data.html; } else { body.textContent = answer.message; }
    });
  }

  Array.prototype.forEach.call(form.querySelectorAll(".md-editor"), function (editor) {
    var toolbar = editor.querySelector(".md-toolbar");
    var pane = editor.querySelector(".md-preview");
    var area = document.getElementById(toolbar.getAttribute("data-for"));
    var timer = null;
    area.parentNode.insertBefore(toolbar, area);  // between the label and the text
    toolbar.hidden = false;
    pane.hidden = false;
    editor.classList.add("md-enhanced");
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-md]");
      if (button) { ACTIONS[button.getAttribute("data-md")](area); }
    });
    area.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) { return; }
      var key = event.key.toLowerCase();
      if (key === "b" || key === "i") {
        event.preventDefault();
        ACTIONS[key === "b" ? "bold" : "italic"](area);
      }
    });
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { preview(area, pane); }, 400);
    });
    preview(area, pane);
  });

  // -- autosave of a draft -----------------------------------------------------------

  var autosaveUrl = form.getAttribute("data-autosave-url");
  var dirty = false, saving = false, again = false, saveTimer = null;
  var pending = null;  // the autosave on its way

  function autosave() {
    clearTimeout(saveTimer);
    saveTimer = null;
    if (!dirty) { return; }
    if (saving) { again = true; return; }
    dirty = false;
    saving = true;
    say(text("saving"));
    var data = new FormData(form);
    Array.from(data.keys()).forEach(function (name) {
      // files and "remove the image" wait for the Save button
      if (/-(image|remove_image)$/.test(name) || name === "action") { data.delete(name); }
    });
    pending = post(autosaveUrl, data, false).then(function (answer) {
      saving = false;
      pending = null;
      if (answer.ok) {
        // changed again meanwhile: still "Saving…" until that is stored too
        if (!dirty) { say(text("saved", { time: answer.data.saved_at })); }
        (answer.data.articles || []).forEach(function (id, i) {
          var input = document.getElementById("articles-" + i + "-id");
          if (id && input && !input.value) {
            input.value = id;
            input.closest(".article-form").setAttribute("data-article-id", id);
          }
        });
      } else {
        dirty = true;
        say(text("failed", { reason: answer.message }));
      }
      if (again) { again = false; autosave(); }
    });
  }

  if (autosaveUrl) {
    var changed = function (event) {
      if (event.target.type === "file" || !event.target.name) { return; }
      if (!dirty && !saving) { say(text("saving")); }
      dirty = true;
      if (!saveTimer) { saveTimer = setTimeout(autosave, 5000); }
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("focusout", function () { if (dirty) { autosave(); } });
    form.addEventListener("submit", function (event) {
      clearTimeout(saveTimer);
      dirty = false;
      if (pending) {
        // the button's post waits for the autosave on its way: both change the same rows,
        // and a new article gets its id from the autosave's answer
        event.preventDefault();
        var submitter = event.submitter;
        pending.then(function () { form.requestSubmit(submitter); });
      }
    });
  }

  // -- moving articles ---------------------------------------------------------------

  var orderUrl = form.getAttribute("data-order-url");
  var list = document.getElementById("article-list");
  if (!orderUrl || !list) { return; }

  function renumber() {
    var articles = list.querySelectorAll(".article-form");
    Array.prototype.forEach.call(articles, function (fieldset, i) {
      var name = text("article", { n: i + 1 });
      Array.prototype.forEach.call(fieldset.querySelectorAll(".article-name"), function (span) {
        span.textContent = name;
      });
      fieldset.querySelector(".move-up").hidden = i === 0;
      fieldset.querySelector(".move-down").hidden = i === articles.length - 1;
    });
  }

  function saveOrder(moved) {
    var ids = Array.prototype.map.call(
      list.querySelectorAll(".article-form[data-article-id]"),
      function (fieldset) { return parseInt(fieldset.getAttribute("data-article-id"), 10); }
    );
    renumber();
    return post(orderUrl, { articles: ids }, true).then(function (answer) {
      if (!answer.ok) { say(text("failed", { reason: answer.message })); return; }
      var position = Array.prototype.indexOf.call(list.querySelectorAll(".article-form"), moved);
      say(text("moved", { n: position + 1 }));
    });
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest(".move-up, .move-down");
    if (!button) { return; }
    var fieldset = button.closest(".article-form");
    var up = button.classList.contains("move-up");
    var other = up ? fieldset.previousElementSibling : fieldset.nextElementSibling;
    // an article not saved yet moves with the form post, which saves it first
    if (!fieldset.hasAttribute("data-article-id") || !other ||
        !other.hasAttribute("data-article-id")) { return; }
    event.preventDefault();
    list.insertBefore(fieldset, up ? other : other.nextElementSibling);
    saveOrder(fieldset).then(function () {
      (button.hidden ? fieldset.querySelector(up ? ".move-down" : ".move-up") : button).focus();
    });
  });

  if (window.Sortable) {
    Array.prototype.forEach.call(list.querySelectorAll(".drag-handle"), function (handle) {
      handle.hidden = false;
    });
    window.Sortable.create(list, {
      handle: ".drag-handle",
      draggable: ".article-form[data-article-id]",
      animation: 150,
      forceFallback: true,  // mouse and touch events, the same in every browser
      onEnd: function (event) { if (event.oldIndex !== event.newIndex) { saveOrder(event.item); } }
    });
  }
})();
