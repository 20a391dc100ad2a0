// Sending mail: the undo toast's countdown, the `z` shortcut, draft autosave and upload progress.
// Everything here enhances server-rendered forms that also work without JavaScript.
(function () {
  "use strict";

  // Countdown (the undo toast, the Boîte d'envoi under a minute): the server says how many
  // milliseconds remain, so the client's clock does not matter.
  function startCountdowns(root) {
    const found = Array.from(root.querySelectorAll("[data-remaining-ms]"));
    if (root.matches && root.matches("[data-remaining-ms]")) found.push(root);
    found.forEach(function (item) {
      if (item.dataset.deadline) return;
      item.dataset.deadline = String(Date.now() + Number(item.dataset.remainingMs));
    });
  }
  // The page's digits: Arabic-Indic when the user chose them (<html data-digits="arab">).
  const numbering = document.documentElement.dataset.digits;
  const formatNumber = numbering && window.Intl
    ? new Intl.NumberFormat("ar-u-nu-" + numbering, { useGrouping: false }).format : String;
  function tick() {
    document.querySelectorAll("[data-deadline] .countdown").forEach(function (el) {
      const item = el.closest("[data-deadline]");
      const seconds = Math.max(0, Math.ceil((Number(item.dataset.deadline) - Date.now()) / 1000));
      const text = el.textContent.replace(/[0-9\u0660-\u0669]+/, formatNumber(seconds));
      if (text !== el.textContent) el.textContent = text;
    });
  }
  // The undo toast of an action on mail ("2 messages archivés · Annuler") leaves after its time.
  function expireToasts(root) {
    root.querySelectorAll("[data-expires-ms]").forEach(function (toast) {
      if (toast.dataset.expiring) return;
      toast.dataset.expiring = "1";
      setTimeout(function () { toast.remove(); }, Number(toast.dataset.expiresMs));
    });
  }
  document.addEventListener("DOMContentLoaded", function () { startCountdowns(document); expireToasts(document); });
  document.addEventListener("htmx:load", function (event) { startCountdowns(event.target); expireToasts(event.target); });
  setInterval(tick, 250);

  // `z` undoes the most recent send, like Gmail.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "z" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    const buttons = document.querySelectorAll("#toasts [data-undo]");
    if (buttons.length) { event.preventDefault(); buttons[buttons.length - 1].click(); }
  });

  // Draft autosave: a few seconds after typing stops, and when leaving the page.
  const form = document.getElementById("compose-form");
  if (form) {
    const url = form.dataset.autosaveUrl;
    let timer = null;
    let dirty = false;
    let submitting = false;
    function fields() {
      const data = new FormData(form);
      data.delete("files");
      data.delete("action");
      return data;
    }
    function save() {
      if (!dirty || submitting) return;
      dirty = false;
      fetch(url, { method: "POST", body: fields(), credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          const status = document.getElementById("save-status");
          if (status && html) status.outerHTML = html;
        })
        .catch(function () { dirty = true; });
    }
    form.addEventListener("input", function (event) {
      if (event.target.type === "file") return;
      dirty = true;
      clearTimeout(timer);
      timer = setTimeout(save, 3000);
    });
    form.addEventListener("submit", function () { submitting = true; clearTimeout(timer); });
    window.addEventListener("pagehide", function () {
      if (dirty && !submitting) navigator.sendBeacon(url, fields());
    });
    document.querySelectorAll(".no-js-only").forEach(function (el) { el.hidden = true; });
  }

  // Upload progress for attachments sent through htmx.
  document.addEventListener("htmx:xhr:progress", function (event) {
    const bar = document.getElementById("upload-progress");
    if (!bar || !event.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });
  document.addEventListener("htmx:afterRequest", function () {
    const bar = document.getElementById("upload-progress");
    if (bar) { bar.hidden = true; bar.value = 0; }
    const input = document.getElementById("id_files");
    if (input) input.value = "";
  });
})();

// The pre-send checks dialog: modal (focus stays inside, Escape closes) when JavaScript runs.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const dialog = document.querySelector("dialog[data-modal][open]");
    if (!dialog || typeof dialog.showModal !== "function") return;
    dialog.close();
    dialog.showModal();
    dialog.querySelectorAll("[data-close-dialog]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        dialog.close();
        const first = document.querySelector("#compose-form input:not([type=hidden])");
        if (first) first.focus();
      });
    });
  });
})();
