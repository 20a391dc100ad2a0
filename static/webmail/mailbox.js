// Reading mail: keyboard shortcuts (Gmail-like) and list behaviour. Every action also works
// without this file: the list and the reading pane are plain links and forms.
(function () {
  "use strict";

  // The message the keyboard cursor is on, remembered by UID so list refreshes keep it.
  let cursorUid = null;

  function rows() {
    return Array.from(document.querySelectorAll("#message-list li.message"));
  }

  function cursorRow() {
    return rows().find(function (row) { return row.dataset.uid === cursorUid; }) || null;
  }

  function moveCursor(step) {
    const all = rows();
    if (!all.length) return;
    const index = all.indexOf(cursorRow());
    const next = all[Math.max(0, Math.min(all.length - 1, index === -1 ? 0 : index + step))];
    all.forEach(function (row) { row.classList.remove("cursor"); });
    next.classList.add("cursor");
    cursorUid = next.dataset.uid;
    const link = next.querySelector("a.open");
    if (link) link.focus();
  }

  function click(selector, scope) {
    const element = (scope || document).querySelector(selector);
    if (element) { element.click(); return true; }
    return false;
  }

  // Archive or delete: the checked messages if any, else the one under the cursor.
  function actOnList(action) {
    const form = document.getElementById("bulk-form");
    if (!form) return;
    if (form.querySelector("input.select:checked")) {
      click("button[name='action'][value='" + action + "']", form);
      return;
    }
    const row = cursorRow();
    const box = row && row.querySelector("input.select");
    if (!box) return;
    const button = document.createElement("button");
    button.type = "submit";
    button.name = "one";
    button.value = action + ":" + box.value;
    button.hidden = true;
    form.appendChild(button);
    button.click(); // a click, not requestSubmit(): htmx takes the submitter from the click
    button.remove();
  }

  function openHelp() {
    const dialog = document.getElementById("shortcuts-help");
    if (dialog && !dialog.open) dialog.showModal();
  }

  const reading = function () { return document.querySelector(".reading"); };

  const keys = {
    j: function () { moveCursor(1); },
    k: function () { moveCursor(-1); },
    o: function () { const row = cursorRow(); if (row) click("a.open", row); },
    Enter: function () { const row = cursorRow(); if (row && !row.contains(document.activeElement)) click("a.open", row); },
    u: function () { click("[data-shortcut='u']"); },
    x: function () { const row = cursorRow(); if (row) click("input.select", row); },
    s: function () {
      if (reading()) { click("#star-form button"); return; }
      const row = cursorRow();
      if (row) click(".star-toggle", row);
    },
    e: function () { if (reading()) click(".reading [data-shortcut='e']"); else actOnList("archive"); },
    "#": function () { if (reading()) click(".reading [data-shortcut='#']"); else actOnList("delete"); },
    Z: function () { click("#stop-everything button"); },
    "?": openHelp,
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey) return;
    if (event.altKey && event.key !== "#") return; // AltGr+3 types "#" on some layouts
    if (event.target.closest("input, textarea, select, [contenteditable], dialog[open]")) return;
    const handler = Object.prototype.hasOwnProperty.call(keys, event.key) ? keys[event.key] : null;
    if (!handler) return;
    if (event.key === "Enter" && event.target.closest("a, button, summary")) return; // native activation
    event.preventDefault();
    handler();
  });

  // Polling for new mail: not while the tab is hidden, nor while the reader is selecting.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const element = event.detail.elt;
    if (!element.hasAttribute || !element.hasAttribute("data-poll")) return;
    const busy = element.querySelector("input.select:checked") ||
      (element.contains(document.activeElement) && document.activeElement.matches("select"));
    if (document.hidden || busy) event.preventDefault();
  });

  // After the list is replaced (poll or action), put the cursor back on the same message. After
  // a boosted link (folder, page, message, back to the list) the content is a new page: focus its
  // heading, as a page load would.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.boosted) {
      cursorUid = null;
      const heading = document.querySelector("#message-subject, #list-title");
      if (heading) heading.focus();
      return;
    }
    const row = cursorRow();
    if (row) row.classList.add("cursor");
  });

  function showAlert(text) {
    const region = document.getElementById("mailbox-alert");
    if (!region) return;
    region.textContent = text || region.dataset.fallback || "";
    region.hidden = false;
  }

  // 4xx answers: forms marked data-swap-errors show their own validation; others show the
  // server's sentence in the alert region. 5xx and network failures get a generic sentence.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.status < 400) {
      const region = document.getElementById("mailbox-alert");
      if (region) region.hidden = true;
      return;
    }
    const element = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (xhr.status < 500 && element && element.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    let text = "";
    if (xhr.status < 500) {
      const alert = new DOMParser().parseFromString(xhr.responseText, "text/html").querySelector("[role='alert']");
      text = alert ? alert.textContent.trim() : "";
    }
    showAlert(text);
  });
  document.addEventListener("htmx:sendError", function () { showAlert(""); });
})();
