// Portico portal, account administration: confirmation dialogs, copy buttons, the space preview of
// rule values, and drag-and-drop ordering of assignment rules. Everything also works without this
// script except the dialogs' opening and dragging (the arrow buttons reorder rules without it).
(function () {
  "use strict";

  // Buttons with data-dialog open the named <dialog>; data-dialog-close closes the enclosing one.
  document.addEventListener("click", function (e) {
    var open = e.target.closest && e.target.closest("[data-dialog]");
    if (open) {
      var d = document.getElementById(open.getAttribute("data-dialog"));
      if (d && d.showModal) { d.showModal(); }
      return;
    }
    var close = e.target.closest && e.target.closest("[data-dialog-close]");
    if (close) {
      var dlg = close.closest("dialog");
      if (dlg) dlg.close();
    }
  });

  // Copy buttons: data-copy names the input or <pre> whose text to copy; the button says it worked.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-copy"));
    if (!el) return;
    var text = el.value !== undefined && el.tagName === "INPUT" ? el.value : el.textContent;
    var label = btn.textContent;
    function done() {
      btn.textContent = "✓ " + label;
      btn.setAttribute("aria-live", "polite");
      setTimeout(function () { btn.textContent = label; }, 2000);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { select(el); });
    } else {
      select(el);
    }
  });
  function select(el) {
    if (el.select) { el.select(); return; }
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // Rule values may not contain spaces: while typing, a preview under the field shows each
  // white-space character as "*", so a stray space is seen before the server refuses it.
  function preview(input) {
    var out = document.getElementById(input.getAttribute("data-show-spaces"));
    if (!out) return;
    var v = input.value;
    if (/\s/.test(v)) {
      out.textContent = (out.getAttribute("data-label") || "") + " " + v.replace(/\s/g, "*");
      out.classList.add("has-spaces");
    } else {
      out.textContent = "";
      out.classList.remove("has-spaces");
    }
  }
  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("input[data-show-spaces]")) preview(e.target);
  });

  // Drag and drop ordering of the rules list: on drop the whole new order is posted, as the arrow
  // buttons' form would post one move, and the page reloads to show the stored order.
  function setupReorder(list) {
    var url = list.getAttribute("data-reorder-url");
    var dragged = null;
    list.addEventListener("dragstart", function (e) {
      dragged = e.target.closest("li[data-id]");
      if (!dragged) return;
      dragged.classList.add("dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", dragged.getAttribute("data-id"));
    });
    list.addEventListener("dragover", function (e) {
      if (!dragged) return;
      e.preventDefault();
      var over = e.target.closest("li[data-id]");
      if (!over || over === dragged) return;
      var r = over.getBoundingClientRect();
      var after = e.clientY > r.top + r.height / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("dragend", function () {
      if (!dragged) return;
      dragged.classList.remove("dragging");
      dragged = null;
      var body = new URLSearchParams();
      list.querySelectorAll("li[data-id]").forEach(function (li) { body.append("id", li.getAttribute("data-id")); });
      fetch(url, { method: "POST", credentials: "same-origin", body: body, redirect: "manual" })
        .then(function () { window.location.reload(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-show-spaces]").forEach(preview);
    document.querySelectorAll("[data-reorder-url]").forEach(setupReorder);
  });
})();
