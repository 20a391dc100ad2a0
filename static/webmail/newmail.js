// New mail without reload: the inbox's unread count in the tab title, and (only when the user
// turned it on in Paramètres, and the browser allowed it) a desktop notification when it grows.
// The count comes with the folder list (#folder-nav data-inbox-unread), on every page and in every
// list response; #news-poll fetches it on pages without the list's own poll.
(function () {
  "use strict";
  const KEY = "webmail.inboxUnread"; // per tab: a new page load is not "new mail"

  function unread() {
    const nav = document.getElementById("folder-nav");
    if (!nav || !nav.hasAttribute("data-inbox-unread")) return null;
    return { count: parseInt(nav.getAttribute("data-inbox-unread"), 10) || 0,
             sentence: nav.getAttribute("data-unread-sentence") || "" };
  }

  function showInTitle(count) {
    const title = document.title.replace(/^\(\d+\) /, "");
    document.title = count > 0 ? "(" + count + ") " + title : title;
  }

  function notify(state) {
    const poll = document.getElementById("news-poll");
    if (!poll || !poll.hasAttribute("data-notify") || !("Notification" in window)) return;
    if (Notification.permission !== "granted") return;
    // One notification at a time (tag), and a click brings the tab back to the inbox.
    const shown = new Notification(poll.getAttribute("data-new-mail"), { body: state.sentence, tag: "webmail-new-mail" });
    shown.onclick = function () { window.focus(); shown.close(); };
  }

  function update() {
    const state = unread();
    if (!state) return;
    showInTitle(state.count);
    const before = sessionStorage.getItem(KEY);
    sessionStorage.setItem(KEY, String(state.count));
    if (before !== null && state.count > parseInt(before, 10)) notify(state);
  }

  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:afterSettle", update);

  // The small poll is for pages without the list's poll; neither runs while the tab is hidden.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id !== "news-poll") return;
    if (document.hidden || document.querySelector("[data-poll]")) event.preventDefault();
  });

  // Paramètres: the browser asks for permission only when the user ticks the box.
  document.addEventListener("change", function (event) {
    const box = event.target;
    if (box.name !== "notify_new_mail" || !box.checked || !("Notification" in window)) return;
    const help = document.getElementById("notify-help");
    const denied = function () { if (help) help.textContent = help.getAttribute("data-denied"); };
    if (Notification.permission === "denied") { denied(); return; }
    if (Notification.permission === "default") {
      Notification.requestPermission().then(function (answer) { if (answer === "denied") denied(); });
    }
  });
})();
