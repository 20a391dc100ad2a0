// Small progressive enhancements; every feature also works without this file.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/") {
      const search = document.querySelector("[data-shortcut='/']");
      if (search) { event.preventDefault(); search.focus(); }
    }
  });

  // Phones: ☰ and ⋮ open their panel (the folders, the account links). Without this file they are
  // links to the panel, which CSS shows as the :target. One panel at a time; Échap, a tap outside or
  // following a link inside closes it.
  function panelOf(button) { return document.getElementById(button.getAttribute("aria-controls")); }
  function closePanels(except) {
    document.querySelectorAll(".menu-button[aria-expanded='true']").forEach(function (button) {
      if (button === except) return;
      button.setAttribute("aria-expanded", "false");
      const panel = panelOf(button);
      if (panel) panel.classList.remove("open");
    });
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest(".menu-button");
    if (button) {
      event.preventDefault();
      const panel = panelOf(button);
      const opening = button.getAttribute("aria-expanded") !== "true";
      closePanels(button);
      button.setAttribute("aria-expanded", String(opening));
      if (panel) panel.classList.toggle("open", opening);
      if (opening && panel) {
        const first = panel.querySelector("a, button, input, select");
        if (first) first.focus();
      }
      return;
    }
    const open = document.querySelector(".menu-button[aria-expanded='true']");
    if (!open) return;
    const panel = panelOf(open);
    if (!panel || !panel.contains(event.target) || event.target.closest("a")) closePanels(null);
  });
  document.addEventListener("keydown", function (event) {
    // role="button" on a link: Space activates it too, as it does a button.
    if (event.key === " " && event.target.matches && event.target.matches(".menu-button")) {
      event.preventDefault();
      event.target.click();
      return;
    }
    if (event.key !== "Escape") return;
    const open = document.querySelector(".menu-button[aria-expanded='true']");
    if (open) { closePanels(null); open.focus(); }
  });

  // A conversation: a folded message's body is fetched when it is unfolded, and each body frame
  // takes the height of its message (same origin, and nothing runs inside it).
  function fitFrame(frame) {
    const page = frame.contentDocument && frame.contentDocument.documentElement;
    if (page) frame.style.blockSize = Math.max(page.scrollHeight + 4, 80) + "px";
  }
  document.addEventListener("toggle", function (event) {
    const details = event.target;
    if (!details.open || !details.closest || !details.closest(".thread")) return;
    const frame = details.querySelector("iframe[data-src]");
    if (frame) { frame.src = frame.dataset.src; frame.removeAttribute("data-src"); }
  }, true);
  document.addEventListener("load", function (event) {
    if (event.target.matches && event.target.matches("iframe.thread-body")) fitFrame(event.target);
  }, true);
  document.querySelectorAll("iframe.thread-body").forEach(function (frame) {
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") fitFrame(frame);
  });
})();
