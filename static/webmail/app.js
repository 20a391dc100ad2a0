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
})();
