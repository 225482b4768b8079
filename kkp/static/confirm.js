// Asks before a mass action (templates/_confirm_dialog.html): a form with
// data-confirm-dialog="<id>" opens that <dialog> as a modal instead of being sent; so
// does a link with data-confirm-dialog and data-confirm-form="<id of the form to send>"
// (without JavaScript the link leads to the server's confirm page). An element in the
// dialog with data-copy-from="<id>" shows that element's text when it opens (a figure
// the page updates). Focus moves into the dialog and stays there; Escape and "Cancel"
// close it and give focus back to what opened it; the confirm button sends the form once.
// No inline handlers: the Content-Security-Policy allows only script files of ours.
(function () {
  "use strict";

  var FOCUSABLE = "button:not([disabled]), [href], input:not([disabled]):not([type=hidden]), " +
    "select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

  function focusable(dialog) {
    return Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), function (el) {
      return el.offsetParent !== null || el === document.activeElement;
    });
  }

  // Once sent, every submit button of the form is disabled: a second press sends nothing.
  function sendOnce(form) {
    if (form.getAttribute("data-sent") === "true") { return; }
    form.setAttribute("data-sent", "true");
    form.setAttribute("data-confirmed", "true");
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function disableButtons(form) {
    // after the browser has collected the form's data, so that nothing is left out
    window.setTimeout(function () {
      var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      if (form.id) {
        Array.prototype.forEach.call(
          document.querySelectorAll("button[form='" + form.id + "']"),
          function (b) { b.disabled = true; });
      }
    }, 0);
  }

  function ask(dialog, form, opener) {
    if (!dialog || typeof dialog.showModal !== "function") { return false; }
    if (dialog.open) { return true; }
    // asked again before the last "close" event came (Escape, then Enter at once):
    // the last asking's listeners go, so that they cannot close this one
    if (dialog.kkpAbandon) { dialog.kkpAbandon(); }
    var confirm = dialog.querySelector("[data-dialog-confirm]");
    var cancel = dialog.querySelector("[data-dialog-cancel]");
    var done = false;

    function detach() {
      done = true;
      dialog.kkpAbandon = null;
      confirm.removeEventListener("click", onConfirm);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("keydown", onKey);
      dialog.removeEventListener("close", onClose);
    }
    // confirmed at once, not when the "close" event comes later: a second press in
    // between must find the form sent already
    function finish(confirmed) {
      if (done) { return; }
      detach();
      if (dialog.open) { dialog.close(); }
      if (opener && opener.focus) { opener.focus(); }
      if (confirmed) { sendOnce(form); }
    }
    function onConfirm() { finish(true); }
    function onCancel() { finish(false); }
    // Escape; a late "close" of an earlier asking finds the dialog open again: not ours
    function onClose() { if (!dialog.open) { finish(false); } }
    function onKey(event) {
      if (event.key !== "Tab") { return; }
      var items = focusable(dialog);
      if (!items.length) { return; }
      var first = items[0], last = items[items.length - 1];
      var inside = dialog.contains(document.activeElement);
      if (event.shiftKey && (document.activeElement === first || !inside)) {
        event.preventDefault(); last.focus();
      } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
        event.preventDefault(); first.focus();
      }
    }

    dialog.kkpAbandon = detach;
    confirm.addEventListener("click", onConfirm);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("keydown", onKey);
    dialog.addEventListener("close", onClose);
    // figures that change while the page is open (a sending's progress): as shown now
    Array.prototype.forEach.call(dialog.querySelectorAll("[data-copy-from]"), function (el) {
      var source = document.getElementById(el.getAttribute("data-copy-from"));
      if (source) { el.textContent = source.textContent; }
    });
    dialog.showModal();
    // the harmless choice first: Enter right away does not start the action
    cancel.focus();
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.getAttribute) { return; }
    if (form.getAttribute("data-sent") === "true" && form.getAttribute("data-confirmed") !== "true") {
      event.preventDefault();
      return;
    }
    var dialogId = form.getAttribute("data-confirm-dialog");
    if (dialogId && form.getAttribute("data-confirmed") !== "true") {
      var opener = event.submitter || document.activeElement;
      if (ask(document.getElementById(dialogId), form, opener)) {
        event.preventDefault();
        return;
      }
    }
    if (dialogId) {
      form.removeAttribute("data-confirmed");
      form.setAttribute("data-sent", "true");
      disableButtons(form);
    }
  });

  // back to a page the browser kept: its forms can be sent again
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sent]"), function (form) {
      form.removeAttribute("data-sent");
      Array.prototype.forEach.call(form.querySelectorAll("button:disabled"), function (b) {
        b.disabled = false;
      });
    });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-confirm-dialog]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var form = document.getElementById(link.getAttribute("data-confirm-form"));
    if (form && ask(document.getElementById(link.getAttribute("data-confirm-dialog")), form, link)) {
      event.preventDefault();
    }
  });
})();
