// Settings: offer the browser's time zone when it differs from the saved one.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const button = document.getElementById("use-browser-zone");
    const select = document.getElementById("id_time_zone");
    if (!button || !select || !window.Intl) return;
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || zone === select.value || !select.querySelector('option[value="' + zone + '"]')) return;
    button.hidden = false;
    button.textContent = button.textContent + " (" + zone + ")";
    button.addEventListener("click", function () { select.value = zone; select.focus(); });
  });
})();
