// Portico portal: the few behaviours plain HTML cannot do. Loaded on every page; no inline scripts
// (the Content Security Policy forbids them), so pages pass values in data- attributes.
(function () {
  "use strict";

  // Selects that apply at once (language, theme).
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select[data-autosubmit]")) el.form.submit();
  });

  // Colour swatches: inline style attributes are blocked by the CSP, the CSSOM is not.
  function paintSwatches(root) {
    root.querySelectorAll("[data-colour]").forEach(function (el) {
      var c = el.getAttribute("data-colour");
      if (/^#[0-9a-fA-F]{6}$/.test(c)) el.style.backgroundColor = c;
    });
  }

  // The side menu's width: dragged (or arrow keys on the separator), remembered in this browser.
  function setupResizer() {
    var handle = document.querySelector(".resizer[data-resizes]");
    if (!handle) return;
    var menu = document.getElementById(handle.getAttribute("data-resizes"));
    var saved = parseInt(localStorage.getItem("portico.menuWidth") || "", 10);
    if (saved) menu.style.width = saved + "px";
    function save() { localStorage.setItem("portico.menuWidth", String(menu.getBoundingClientRect().width | 0)); }
    handle.addEventListener("pointerdown", function (e) {
      e.preventDefault();
      handle.setPointerCapture(e.pointerId);
      var startX = e.clientX, startW = menu.getBoundingClientRect().width;
      function move(ev) { menu.style.width = Math.max(176, Math.min(512, startW + ev.clientX - startX)) + "px"; }
      function up() { handle.removeEventListener("pointermove", move); handle.removeEventListener("pointerup", up); save(); }
      handle.addEventListener("pointermove", move);
      handle.addEventListener("pointerup", up);
    });
    handle.addEventListener("keydown", function (e) {
      var w = menu.getBoundingClientRect().width;
      if (e.key === "ArrowLeft") { menu.style.width = Math.max(176, w - 16) + "px"; save(); }
      if (e.key === "ArrowRight") { menu.style.width = Math.min(512, w + 16) + "px"; save(); }
    });
  }

  // Idle timeout: the server signs an idle session out; this warns two minutes before and signs out
  // on time so the screen does not go on showing what the user may no longer see. Any input resets
  // the clock; "Stay signed in" tells the server the user is back.
  function setupIdle() {
    var total = parseInt(document.body.getAttribute("data-idle-seconds") || "0", 10);
    if (!total) return;
    var warnAt = Math.max(total - 120, Math.floor(total / 2));
    var dialog = document.getElementById("idle-dialog");
    var countdown = document.getElementById("idle-countdown");
    var last = Date.now();
    var lastPing = Date.now();
    var signingOut = false;
    function activity() {
      if (dialog && dialog.open) return; // the dialog asks for an explicit answer
      last = Date.now();
      if (Date.now() - lastPing > 60000) { lastPing = Date.now(); ping(); }
    }
    function ping() { fetch("/keepalive", { method: "POST", credentials: "same-origin" }); }
    ["keydown", "pointerdown", "wheel"].forEach(function (ev) { document.addEventListener(ev, activity, { passive: true }); });
    if (dialog) {
      document.getElementById("idle-stay").addEventListener("click", function () {
        last = Date.now(); lastPing = Date.now(); ping(); dialog.close();
      });
    }
    setInterval(function () {
      // Watching a live remote session is activity, even without touching the keyboard.
      if (document.querySelector('#session[data-state="active"]')) activity();
      var idle = (Date.now() - last) / 1000;
      if (idle >= total) {
        if (signingOut) return;
        signingOut = true;
        // End the session on the server too (its own idle clock may be a little behind this one).
        var go = function () { window.location.href = "/sign-in?idle=1"; };
        fetch("/sign-out", { method: "POST", credentials: "same-origin" }).then(go, go);
        return;
      }
      if (idle >= warnAt && dialog && !dialog.open) dialog.showModal();
      if (dialog && dialog.open && countdown) {
        var left = Math.max(0, Math.ceil(total - idle));
        countdown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      }
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    paintSwatches(document);
    setupResizer();
    setupIdle();
  });
  document.addEventListener("htmx:afterSwap", function (e) { paintSwatches(e.target); });
  window.Portico = { paintSwatches: paintSwatches };
})();
