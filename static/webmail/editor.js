// Rich text in the compose page (Squire, vendored in static/vendor/), the "Texte brut" switch, the
// signature menu, pasted and dropped images, Ctrl/Cmd+K for a link and Ctrl/Cmd+Enter to send.
// Without this file the page is a plain-text form that works the same. Whatever the editor
// produces is sanitised again on the server before it is stored or sent.
(function () {
  "use strict";
  const field = document.querySelector("[data-editor]");
  const form = field && field.closest("form");
  if (!form) return;
  const textarea = field.querySelector("textarea:not([hidden])");
  const htmlInput = field.querySelector("textarea[hidden]");
  const format = form.querySelector("input[name=format]");
  const i18n = JSON.parse(document.getElementById("editor-i18n").textContent);
  const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
  let editor = null;
  let area = null;
  let toolbar = null;
  let imageInput = null;

  // Pasted HTML (Word, Google Docs, a web page): DOMPurify removes what could run; then Word's and
  // Docs' wrappers, classes and style noise go, keeping what a mail can carry.
  const KEPT_STYLES = ["color", "background-color", "font-weight", "font-style", "text-decoration"];
  function cleanStyles(root) {
    root.querySelectorAll("[style]").forEach(function (node) {
      const kept = KEPT_STYLES.map(function (name) {
        const value = node.style.getPropertyValue(name);
        // Docs marks every run font-weight:400 and colour black: not formatting anyone chose.
        if (!value || (name === "font-weight" && /^(400|normal)$/.test(value)) || value === "rgb(0, 0, 0)") return "";
        return name + ":" + value;
      }).filter(Boolean).join(";");
      if (kept) node.setAttribute("style", kept); else node.removeAttribute("style");
    });
    // Docs wraps a whole paste in <b style="font-weight:normal" id="docs-internal-guid-…">: not bold.
    root.querySelectorAll("b[id^='docs-internal'], o\\:p").forEach(function (node) {
      node.replaceWith.apply(node, Array.from(node.childNodes));
    });
    root.querySelectorAll("[class], [id], [lang]").forEach(function (node) {
      node.removeAttribute("class"); node.removeAttribute("id"); node.removeAttribute("lang");
    });
  }
  function sanitizeToDOMFragment(html) {
    const fragment = window.DOMPurify.sanitize(html, {
      ALLOW_UNKNOWN_PROTOCOLS: false, WHOLE_DOCUMENT: false, RETURN_DOM_FRAGMENT: true,
      FORBID_TAGS: ["style", "meta", "link", "title", "form", "input", "button", "textarea", "select", "svg", "math"],
      FORBID_ATTR: ["srcset"],
    });
    cleanStyles(fragment);
    fragment.querySelectorAll("img").forEach(function (img) {
      // Only images the user brings in themselves (pasted or dropped files) travel; a remote one is
      // a tracker the recipient would load.
      if (!/^data:image\/(png|gif|jpeg|webp);base64,/.test(img.getAttribute("src") || "")) img.remove();
    });
    return document.importNode(fragment, true);
  }

  function insertImageFiles(files) {
    Array.from(files).forEach(function (file) {
      if (!/^image\/(png|gif|jpeg|webp)$/.test(file.type)) return;
      if (file.size > MAX_IMAGE_BYTES) { window.alert(i18n.image_too_big); return; }
      const reader = new FileReader();
      reader.onload = function () { editor.insertImage(reader.result, { alt: file.name || "" }); sync(); };
      reader.readAsDataURL(file);
    });
  }

  function sync() {
    if (editor) htmlInput.value = editor.getHTML();
    form.dispatchEvent(new Event("input", { bubbles: true }));  // autosave (outbox.js) listens
  }

  const BUTTONS = [
    ["bold", "B", function () { editor.hasFormat("B") ? editor.removeBold() : editor.bold(); }],
    ["italic", "I", function () { editor.hasFormat("I") ? editor.removeItalic() : editor.italic(); }],
    ["underline", "U", function () { editor.hasFormat("U") ? editor.removeUnderline() : editor.underline(); }],
    ["bullets", "•", function () { editor.hasFormat("UL") ? editor.removeList() : editor.makeUnorderedList(); }],
    ["numbers", "1.", function () { editor.hasFormat("OL") ? editor.removeList() : editor.makeOrderedList(); }],
    ["quote", "❝", function () { editor.hasFormat("BLOCKQUOTE") ? editor.decreaseQuoteLevel() : editor.increaseQuoteLevel(); }],
    ["link", "", askLink],  // link and image: icons drawn by CSS (app.css)
    ["image", "", function () { imageInput.click(); }],
  ];

  // Gras, Italique… say (and show) whether they are on where the cursor is.
  const FORMATS = { bold: "B", italic: "I", underline: "U", bullets: "UL", numbers: "OL", quote: "BLOCKQUOTE", link: "A" };
  function showPressed() {
    toolbar.querySelectorAll("[data-tool]").forEach(function (button) {
      const tag = FORMATS[button.dataset.tool];
      if (tag) button.setAttribute("aria-pressed", String(editor.hasFormat(tag)));
    });
  }

  function askLink() {
    if (editor.hasFormat("A")) { editor.removeLink(); return; }
    const url = window.prompt(i18n.link_prompt, "https://");
    if (!url || url === "https://") return;
    const safe = /^(https?:|mailto:)/i.test(url) ? url : (url.includes("@") ? "mailto:" + url : "https://" + url);
    editor.makeLink(safe);
  }

  function buildToolbar() {
    toolbar = document.createElement("div");
    toolbar.className = "editor-toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", i18n.toolbar);
    BUTTONS.forEach(function (spec) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "tool tool-" + spec[0];
      // The glyph is decoration drawn by CSS (app.css, .tool::before); the name ("Gras (Ctrl+B)")
      // is what a screen reader says.
      if (spec[1]) button.dataset.glyph = spec[1];
      button.title = i18n[spec[0]];
      button.setAttribute("aria-label", i18n[spec[0]]);
      button.dataset.tool = spec[0];
      button.addEventListener("click", function () { spec[2](); editor.focus(); sync(); showPressed(); });
      toolbar.appendChild(button);
    });
    const colour = document.createElement("input");
    colour.type = "color";
    colour.className = "tool tool-colour";
    colour.value = "#c0392b";
    colour.setAttribute("aria-label", i18n.colour);
    colour.title = i18n.colour;
    colour.addEventListener("change", function () { editor.setTextColor(colour.value); sync(); });
    toolbar.appendChild(colour);
    // The file chooser stays hidden: the "Insérer une image" button opens it.
    imageInput = document.createElement("input");
    imageInput.type = "file";
    imageInput.accept = "image/png,image/jpeg,image/gif,image/webp";
    imageInput.hidden = true;
    imageInput.addEventListener("change", function () { insertImageFiles(imageInput.files); imageInput.value = ""; });
    toolbar.appendChild(imageInput);
    return toolbar;
  }

  // One control named "Message" at a time: while the editor is on, the label names it (through
  // aria-labelledby) and no longer points at the hidden textarea.
  const label = field.querySelector("label");
  const labelFor = label.getAttribute("for");
  label.addEventListener("click", function () { if (editor) editor.focus(); });

  function textAsHtml(text) {
    return text.split("\n").map(function (line) {
      const div = document.createElement("div");
      div.textContent = line;
      return line ? div.outerHTML : "<div><br></div>";
    }).join("");
  }

  function startRich() {
    area = document.createElement("div");
    area.className = "editor-area";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    area.setAttribute("aria-labelledby", "body-label");
    area.id = "rich-body";
    textarea.hidden = true;
    label.removeAttribute("for");
    field.insertBefore(buildToolbar(), textarea);
    field.insertBefore(area, textarea);
    editor = new window.Squire(area, { sanitizeToDOMFragment: sanitizeToDOMFragment, blockTag: "DIV" });
    editor.setHTML(htmlInput.value || "");
    editor.addEventListener("input", sync);
    editor.addEventListener("pathChange", showPressed);
    editor.addEventListener("pasteImage", function (event) {
      const items = event.detail.clipboardData.items;
      insertImageFiles(Array.from(items).filter(function (i) { return i.kind === "file"; }).map(function (i) { return i.getAsFile(); }));
    });
    area.addEventListener("dragover", function (event) { event.preventDefault(); });
    area.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      insertImageFiles(event.dataTransfer.files);
    });
    editor.setKeyHandler("Ctrl-k", function (self, event) { event.preventDefault(); askLink(); sync(); });
    editor.setKeyHandler("Meta-k", function (self, event) { event.preventDefault(); askLink(); sync(); });
    format.value = "rich";
    switchButton.textContent = i18n.to_plain;
    showSignature();
  }

  function stopRich() {
    // The text as the server will send it (links as "text (url)"): the server computes it again.
    // (The editor keeps typed spaces as no-break spaces where HTML would collapse them.)
    textarea.value = area.innerText.replace(/\u00a0/g, " ").replace(/\n{3,}/g, "\n\n").replace(/\s+$/, "");
    editor.destroy();
    area.remove(); toolbar.remove();
    editor = null;
    htmlInput.value = "";
    textarea.hidden = false;
    label.setAttribute("for", labelFor);
    format.value = "plain";
    switchButton.textContent = i18n.to_rich;
    showSignature();
  }

  // "Texte brut" / "Texte enrichi": remembered by the server with the next save.
  const switchButton = document.createElement("button");
  switchButton.type = "button";
  switchButton.className = "button ghost format-switch";
  switchButton.addEventListener("click", function () {
    if (editor) {
      if (!window.confirm(i18n.confirm_plain)) return;
      stopRich();
    } else {
      htmlInput.value = textAsHtml(textarea.value);
      startRich();
    }
    sync();
  });
  label.after(switchButton);

  // The signature menu swaps the block under the text; what was typed is not touched.
  const signature = form.querySelector("select[name=signature]");
  const preview = document.getElementById("signature-preview");
  function showSignature() {
    if (!signature || !preview) return;
    const source = document.getElementById((editor ? "signature-html-" : "signature-text-") + signature.value);
    preview.replaceChildren();
    if (source) preview.appendChild(source.content.cloneNode(true));
  }
  if (signature) signature.addEventListener("change", function () { showSignature(); sync(); });

  if (field.hasAttribute("data-rich") && window.Squire && window.DOMPurify) {
    // On a slow connection the page shows the plain field before this file arrives: what was
    // typed there goes into the editor, and so does the caret.
    const typing = document.activeElement === textarea;
    const typedEarly = textarea.value !== textarea.defaultValue;
    if (typedEarly) htmlInput.value = textAsHtml(textarea.value);
    startRich();
    if (typing) { editor.focus(); editor.moveCursorToEnd(); }
    if (typedEarly) sync();
  } else { format.value = "plain"; switchButton.textContent = i18n.to_rich; }

  // Ctrl/Cmd+Enter sends, through the same checks as the Envoyer button.
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    if (editor) htmlInput.value = editor.getHTML();
    const send = form.querySelector("button[name=action][value=send]");
    if (send) form.requestSubmit(send);
  });
  form.addEventListener("submit", function () { if (editor) htmlInput.value = editor.getHTML(); });

  // After inserting a template, the cursor goes to its first ‹placeholder›.
  if (new URLSearchParams(window.location.search).has("modele")) {
    const root = editor ? area : textarea;
    if (editor) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      let node;
      while ((node = walker.nextNode())) {
        const start = node.data.indexOf("‹");
        if (start < 0) continue;
        const end = node.data.indexOf("›", start);
        const range = document.createRange();
        range.setStart(node, start);
        range.setEnd(node, end < 0 ? node.data.length : end + 1);
        editor.focus();
        editor.setSelection(range);
        break;
      }
    } else {
      const start = textarea.value.indexOf("‹");
      if (start >= 0) {
        textarea.focus();
        textarea.setSelectionRange(start, textarea.value.indexOf("›", start) + 1 || textarea.value.length);
      }
    }
  }
})();
