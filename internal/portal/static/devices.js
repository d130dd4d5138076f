// Device pages: dialogs opened by buttons, bulk selection, and the column chooser (drag and drop,
// with up/down buttons for the keyboard). No inline scripts: everything hangs on data- attributes.
(function () {
  "use strict";

  document.addEventListener("click", function (e) {
    var open = e.target.closest("[data-open-dialog]");
    if (open) {
      var d = document.getElementById(open.getAttribute("data-open-dialog"));
      if (d && d.showModal) d.showModal();
      return;
    }
    var close = e.target.closest("[data-close-dialog]");
    if (close) {
      var dlg = close.closest("dialog");
      if (dlg) dlg.close();
      return;
    }
    var move = e.target.closest("[data-move]");
    if (move) moveItem(move.closest("li"), move.getAttribute("data-move"), move);
  });

  // Bulk selection: "select all", the count, and the actions enabled only with a selection.
  function updateSelection(form) {
    var boxes = form.querySelectorAll('input[name="device_ids"]');
    var n = 0;
    boxes.forEach(function (b) { if (b.checked) n++; });
    form.querySelectorAll("[data-needs-selection]").forEach(function (b) { b.disabled = n === 0; });
    var count = form.querySelector("[data-selected-count]");
    if (count) count.textContent = n ? count.getAttribute("data-template").replace("%d", n) : "";
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
  }
  document.addEventListener("change", function (e) {
    var el = e.target;
    var form = el.closest && el.closest("form.devices-bulk");
    if (!form) return;
    if (el.matches("[data-select-all]")) {
      form.querySelectorAll('input[name="device_ids"]').forEach(function (b) { b.checked = el.checked; });
    }
    updateSelection(form);
  });

  // Column chooser: reorder with the buttons (keyboard) or by dragging.
  function announce(list, text) {
    var status = list.parentNode.querySelector("[data-column-status]");
    if (status) status.textContent = text;
  }
  function moveItem(li, dir, button) {
    if (!li) return;
    var list = li.parentNode;
    if (dir === "up" && li.previousElementSibling) list.insertBefore(li, li.previousElementSibling);
    else if (dir === "down" && li.nextElementSibling) list.insertBefore(li.nextElementSibling, li);
    if (button) button.focus();
    announce(list, (button && button.getAttribute("aria-label")) || "");
  }
  var dragged = null;
  document.addEventListener("dragstart", function (e) {
    var li = e.target.closest && e.target.closest("[data-column-list] li");
    if (!li) return;
    dragged = li;
    li.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", li.getAttribute("data-column"));
  });
  document.addEventListener("dragover", function (e) {
    if (!dragged) return;
    var li = e.target.closest && e.target.closest("[data-column-list] li");
    if (!li || li === dragged || li.parentNode !== dragged.parentNode) return;
    e.preventDefault();
    li.parentNode.querySelectorAll(".drop-before").forEach(function (x) { x.classList.remove("drop-before"); });
    li.classList.add("drop-before");
  });
  document.addEventListener("drop", function (e) {
    if (!dragged) return;
    var li = e.target.closest && e.target.closest("[data-column-list] li");
    if (li && li !== dragged && li.parentNode === dragged.parentNode) {
      e.preventDefault();
      li.parentNode.insertBefore(dragged, li);
    }
  });
  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    document.querySelectorAll(".drop-before").forEach(function (x) { x.classList.remove("drop-before"); });
    dragged = null;
  });
})();
