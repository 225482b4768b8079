// The composer's "Linked event" as a search (templates/admin/issues/edit.html): a text
// field with a list of matches, the ARIA 1.2 combobox pattern, over the select the form
// posts. Typing asks data-events-url for upcoming events by title or place; arrow keys
// move through the matches, Enter or a click chooses one, Escape closes the list,
// emptying the field chooses "no event". Without this file the select is the field.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  var url = form && form.getAttribute("data-events-url");
  if (!url || !window.fetch) { return; }

  function text(name, values) {
    var s = form.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { s = s.replace("{" + k + "}", values[k]); });
    return s;
  }

  function enhance(select) {
    var id = select.id;
    var label = document.querySelector('label[for="' + id + '"]');
    var wrap = document.createElement("div");
    wrap.className = "event-search";
    var input = document.createElement("input");
    input.type = "text";
    input.id = id + "-search";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-listbox");
    input.setAttribute("autocomplete", "off");
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.id = id + "-search-hint";
    hint.textContent = text("events-hint");
    var described = [hint.id].concat((select.getAttribute("aria-describedby") || "").split(" "));
    input.setAttribute("aria-describedby", described.join(" ").trim());
    var list = document.createElement("ul");
    list.id = id + "-listbox";
    list.className = "event-search-list";
    list.setAttribute("role", "listbox");
    if (label) {
      label.id = label.id || id + "-label";
      list.setAttribute("aria-labelledby", label.id);
      label.htmlFor = input.id;
    }
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    wrap.appendChild(input);
    wrap.appendChild(hint);
    wrap.appendChild(list);
    wrap.appendChild(status);
    select.parentNode.insertBefore(wrap, select.nextSibling);
    select.hidden = true;  // still posted: the form's value

    var active = -1, timer = null, asked = 0;

    function chosenLabel() {
      var option = select.options[select.selectedIndex];
      return option && option.value ? option.textContent : "";
    }
    input.value = chosenLabel();

    function options() { return list.querySelectorAll("[role=option]"); }

    function open(show) {
      list.hidden = !show;
      input.setAttribute("aria-expanded", show ? "true" : "false");
      if (!show) { mark(-1); }
    }

    function mark(index) {
      var all = options();
      active = index;
      Array.prototype.forEach.call(all, function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && all[index]) {
        input.setAttribute("aria-activedescendant", all[index].id);
        all[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(li) {
      var value = li ? li.getAttribute("data-id") : "";
      if (value && !select.querySelector('option[value="' + value + '"]')) {
        select.appendChild(new Option(li.getAttribute("data-label"), value));
      }
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));  // autosave
      input.value = chosenLabel();
      open(false);
    }

    function show(events) {
      list.textContent = "";
      events.forEach(function (event, i) {
        var li = document.createElement("li");
        li.id = id + "-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-id", event.id);
        li.setAttribute("data-label", event.label);
        li.textContent = event.label;
        if (event.place) {
          var place = document.createElement("span");
          place.className = "event-search-place";
          place.textContent = " · " + event.place;
          li.appendChild(place);
        }
        list.appendChild(li);
      });
      status.textContent = events.length ? text("events-found", { n: events.length })
        : text("events-none");
      open(events.length > 0);
    }

    function search() {
      var mine = ++asked;
      fetch(url + "?q=" + encodeURIComponent(input.value.trim()), {
        headers: { "Accept": "application/json" }, credentials: "same-origin"
      }).then(function (response) { return response.ok ? response.json() : { events: [] }; })
        .then(function (data) { if (mine === asked) { show(data.events || []); } })
        .catch(function () { status.textContent = text("offline"); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      if (!input.value.trim()) {
        choose(null);  // an empty field: no event
        return;
      }
      timer = setTimeout(search, 200);
    });

    input.addEventListener("keydown", function (event) {
      var count = options().length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        mark(count ? (active + 1) % count : -1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (!list.hidden && count) { mark(active <= 0 ? count - 1 : active - 1); }
      } else if (event.key === "Enter") {
        if (!list.hidden) {
          event.preventDefault();  // not the form's Save
          if (active >= 0) { choose(options()[active]); } else { open(false); }
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); open(false); }
      }
    });

    // a click on a match: mousedown would take the focus from the field first
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var li = event.target.closest("[role=option]");
      if (li) { choose(li); }
    });

    input.addEventListener("blur", function () {
      open(false);
      input.value = chosenLabel();  // typed but not chosen: the choice stays as it was
    });
  }

  Array.prototype.forEach.call(form.querySelectorAll("select[name$='-event_id']"), enhance);
})();
