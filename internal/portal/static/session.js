// Portico remote session page: speaks the technician WebSocket of /api/v1/devices/{id}/session
// (see docs/sessions.md and internal/protocol/actions.go for the stream formats).
//
// Stable element ids, for people and for browser tests:
//   #session            root; data-state = idle | connecting | active | ended | failed | offline
//   #session-state      the state sentence (role=status)
//   #session-reason     who ended the session and why, once ended
//   #session-actions    the session's actions (li[data-action]); narrowed live
//   #session-notice     notices such as "some actions are no longer available"
//   #cancel             cancel while connecting       #end-session   end the session
//   #reconnect          connect (again)
//   #tab-KEY / #panel-KEY  tabs and panels: screen, terminal, files, tasks, chat, message,
//                       screenshot, clipboard, power
//   terminal:   #terminal (xterm host; data-state = open | exited | closed), #terminal-open,
//               #terminal-status
//   files:      #files-path, #files-go (form), #files-up, #files-refresh, #files-mkdir,
//               #files-upload-input, #files-drop, #files-list (tbody rows: tr[data-name][data-dir];
//               buttons .files-download, .files-rename, .files-delete, .files-open),
//               #files-status, #files-transfers (li[data-state=running|done|failed])
//   tasks:      #tasks-refresh, #tasks-filter, #tasks-list (tr[data-pid], button.tasks-kill),
//               #tasks-services-load, #services-list, #tasks-status
//   chat:       #chat-log (li.chat-in / li.chat-out), #chat-input, #chat-send
//   message:    #message-text, #message-send, #message-result
//   screenshot: #screenshot-take, #screenshot-img, #screenshot-download, #screenshot-status
//   screen:     #screen-start, #screen-stop, #screen-format, #screen-control, #screen-canvas,
//               #screen-release, #screen-status
//   clipboard:  #clipboard-text, #clipboard-get, #clipboard-set, #clipboard-status
//   power:      #command-ACTION (button[data-command]), #command-results
//   dialogs:    #session-confirm (#session-confirm-yes, #session-confirm-no),
//               #session-prompt (#session-prompt-input, #session-prompt-ok)
(function () {
  "use strict";

  var root = document.getElementById("session");
  if (!root) return;

  // ---- strings ----

  var strings = {};
  var tpl = document.getElementById("session-strings");
  if (tpl) {
    tpl.content.querySelectorAll("data").forEach(function (d) { strings[d.value] = d.textContent; });
  }
  // tr returns the session string KEY with %s (or %[n]s) replaced by the arguments in order.
  function tr(key) {
    var args = Array.prototype.slice.call(arguments, 1);
    var s = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    var i = 0;
    return s.replace(/%(?:\[(\d+)\])?[sdv]/g, function (m, n) {
      var v = n ? args[parseInt(n, 10) - 1] : args[i++];
      return v === undefined ? "" : String(v);
    });
  }
  // reasonText translates a reason the server sends in English when the catalogue knows it.
  function reasonText(r) {
    if (!r) return "";
    var k = "reason." + r.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
    return Object.prototype.hasOwnProperty.call(strings, k) ? tr(k) : r;
  }
  function actionTitle(a) { return tr("action." + a); }

  var lang = document.documentElement.lang || "en-GB";
  var numberFormat = new Intl.NumberFormat(lang);
  function formatBytes(n) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return new Intl.NumberFormat(lang, { maximumFractionDigits: i ? 1 : 0 }).format(n) + "\u00a0" + units[i];
  }
  function formatTime(unix) {
    if (!unix) return "";
    return new Date(unix * 1000).toLocaleString(lang, { dateStyle: "short", timeStyle: "short" });
  }

  // ---- small helpers ----

  function $(id) { return document.getElementById(id); }
  function el(tag, props, children) {
    var e = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        if (k === "text") e.textContent = props[k];
        else if (k === "class") e.className = props[k];
        else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), props[k]);
        else e.setAttribute(k, props[k]);
      });
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function say(id, text) { var e = $(id); if (e) e.textContent = text; }
  var encoder = new TextEncoder();
  var decoder = new TextDecoder();

  // Big-endian integers.
  function u16(v, o) { return (v[o] << 8) | v[o + 1]; }
  function u32(v, o) { return ((v[o] << 24) >>> 0) + (v[o + 1] << 16) + (v[o + 2] << 8) + v[o + 3]; }
  function i32(v, o) { return (v[o] << 24) | (v[o + 1] << 16) | (v[o + 2] << 8) | v[o + 3]; }
  function put16(b, o, n) { b[o] = (n >> 8) & 255; b[o + 1] = n & 255; }
  function put32(b, o, n) { b[o] = (n >>> 24) & 255; b[o + 1] = (n >>> 16) & 255; b[o + 2] = (n >>> 8) & 255; b[o + 3] = n & 255; }
  function put64(b, o, n) { put32(b, o, Math.floor(n / 4294967296)); put32(b, o + 4, n >>> 0); }
  function get64(v, o) { return u32(v, o) * 4294967296 + u32(v, o + 4); }

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
  }
  // sha256 of a Blob, as hex. crypto.subtle only exists in secure contexts (https, localhost).
  function sha256(blob) {
    if (!(window.crypto && crypto.subtle)) return Promise.resolve("");
    return blob.arrayBuffer().then(function (b) { return crypto.subtle.digest("SHA-256", b); }).then(hex);
  }

  // ---- dialogs ----

  function confirmDialog(text) {
    var d = $("session-confirm");
    return new Promise(function (resolve) {
      say("session-confirm-text", text);
      var yes = $("session-confirm-yes"), no = $("session-confirm-no");
      function done(v) {
        yes.removeEventListener("click", onYes); no.removeEventListener("click", onNo);
        d.removeEventListener("cancel", onNo);
        if (d.open) d.close();
        resolve(v);
      }
      function onYes() { done(true); }
      function onNo() { done(false); }
      yes.addEventListener("click", onYes); no.addEventListener("click", onNo);
      d.addEventListener("cancel", onNo);
      d.showModal();
      no.focus();
    });
  }
  function promptDialog(label, value) {
    var d = $("session-prompt"), input = $("session-prompt-input"), form = $("session-prompt-form");
    return new Promise(function (resolve) {
      say("session-prompt-label", label);
      input.value = value || "";
      function done(v) {
        form.removeEventListener("submit", onSubmit); $("session-prompt-cancel").removeEventListener("click", onCancel);
        d.removeEventListener("cancel", onCancel);
        if (d.open) d.close();
        resolve(v);
      }
      function onSubmit(e) { e.preventDefault(); done(input.value.trim() || null); }
      function onCancel() { done(null); }
      form.addEventListener("submit", onSubmit); $("session-prompt-cancel").addEventListener("click", onCancel);
      d.addEventListener("cancel", onCancel);
      d.showModal();
      input.select();
    });
  }

  // ---- the connection ----

  var ws = null;
  var state = "idle";
  var actions = (root.getAttribute("data-actions") || "").split(",").filter(Boolean);
  var channels = {}; // channel number → channel
  var lastChannel = 0;
  var commandSeq = 0;
  var commands = {}; // command id → callback(result)
  var MAX_PAYLOAD = 65536; // a stream message, kind byte included (internal/protocol MaxPayload)

  function setState(s, text) {
    state = s;
    root.setAttribute("data-state", s);
    var st = $("session-state");
    st.setAttribute("data-state", s);
    st.textContent = text || tr("state." + s);
    $("cancel").hidden = s !== "connecting";
    $("end-session").hidden = s !== "active";
    $("reconnect").hidden = !(s === "ended" || s === "failed" || s === "offline");
    root.querySelectorAll(".session-panel button, .session-panel input, .session-panel select, .session-panel textarea").forEach(function (c) {
      if (c.hasAttribute("data-keep")) return;
      c.disabled = s !== "active";
    });
    if (s === "active") panelShown(currentPanel());
  }

  function connect() {
    if (ws) return;
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + root.getAttribute("data-socket"));
    ws.binaryType = "arraybuffer";
    var opened = false;
    setState("connecting");
    $("session-reason").hidden = true;
    ws.onopen = function () { opened = true; };
    ws.onmessage = function (ev) {
      if (typeof ev.data === "string") {
        var m;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        onMessage(m);
        return;
      }
      var v = new Uint8Array(ev.data);
      if (v.length < 2) return;
      var ch = channels[v[0]];
      // What arrives for a channel this page is closing is dropped at once: a screen stream left
      // behind can have thousands of tiles in flight, and they must not hold up the other channels.
      if (ch && ch.onData && !ch.closing) ch.onData(v[1], v.subarray(2), v.subarray(1));
    };
    ws.onclose = function () {
      ws = null;
      Object.keys(channels).forEach(function (n) { closedChannel(+n, ""); });
      if (state === "ended") return;
      setState(opened ? "failed" : "failed", opened ? tr("state.closed_page") : tr("state.failed"));
    };
  }

  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  }

  function onMessage(m) {
    switch (m.type) {
      case "state":
        if (m.actions) updateActions(m.actions);
        if (m.state === "ended") {
          setState("ended");
          var by = m.by ? tr("ended.by." + m.by) : "";
          // "ended by the technician" says no more than "Ended by you".
          var reason = m.reason && m.reason !== "ended by the technician" ? tr("ended.reason", reasonText(m.reason)) : "";
          var r = $("session-reason");
          r.textContent = [by, reason].filter(Boolean).join(" · ");
          r.hidden = false;
          r.setAttribute("data-by", m.by || "");
          r.setAttribute("data-reason", m.reason || "");
        } else {
          setState(m.state);
        }
        break;
      case "actions":
        var removed = actions.filter(function (a) { return m.actions.indexOf(a) < 0; });
        updateActions(m.actions);
        notice(tr("narrowed", reasonText(m.reason), removed.map(actionTitle).join(", ")));
        break;
      case "opened":
        var ch = channels[m.channel];
        if (ch) ch.markOpen();
        break;
      case "closed":
        closedChannel(m.channel, m.reason || "");
        break;
      case "chat":
        chatReceived(m);
        break;
      case "command_result":
        var cb = commands[m.id];
        delete commands[m.id];
        if (cb) cb(m);
        break;
      case "error":
        if (m.id && commands[m.id]) {
          var c = commands[m.id];
          delete commands[m.id];
          c({ ok: false, error: m.message });
        } else {
          notice(tr("error", m.message));
        }
        break;
    }
  }

  function notice(text) {
    var n = $("session-notice");
    n.textContent = text;
    n.hidden = !text;
  }

  // updateActions narrows the page to the session's actions: the list, the tabs and their panels.
  function updateActions(list) {
    actions = list.slice();
    root.setAttribute("data-actions", actions.join(","));
    $("session-actions").querySelectorAll("li[data-action]").forEach(function (li) {
      li.hidden = actions.indexOf(li.getAttribute("data-action")) < 0;
    });
    var firstVisible = null;
    root.querySelectorAll("[role=tab]").forEach(function (tab) {
      var acts = tab.getAttribute("data-actions").split(",");
      var keep = acts.some(function (a) { return actions.indexOf(a) >= 0; });
      tab.hidden = !keep;
      var panel = $(tab.getAttribute("aria-controls"));
      if (!keep) panel.hidden = true;
      if (keep && !firstVisible) firstVisible = tab;
    });
    root.querySelectorAll("[data-command]").forEach(function (b) { b.hidden = actions.indexOf(b.getAttribute("data-command")) < 0; });
    var cur = root.querySelector("[role=tab][aria-selected=true]");
    if ((!cur || cur.hidden) && firstVisible) selectTab(firstVisible, false);
    if ($("screen-control") && actions.indexOf("remote_control") < 0) {
      $("screen-control").checked = false;
      $("screen-control").hidden = true;
      releaseKeyboard();
    }
  }

  // A channel is one stream of the session: opened for a stream action, closed by either side.
  // Messages sent before the server confirms the stream wait in a queue.
  function openChannel(action, args, handlers) {
    var n = 0;
    for (var i = 1; i <= 255; i++) {
      var c = ((lastChannel + i - 1) % 255) + 1;
      if (!channels[c]) { n = c; break; }
    }
    if (!n || state !== "active") return null;
    lastChannel = n;
    var queue = [];
    var ch = {
      n: n, action: action, open: false, closed: false, closing: false,
      onData: handlers.onData, onClose: handlers.onClose, onOpen: handlers.onOpen,
      markOpen: function () {
        ch.open = true;
        queue.forEach(function (b) { ws.send(b); });
        queue = [];
        if (ch.onOpen) ch.onOpen();
      },
      // send sends one stream message: a kind byte and a payload (Uint8Array), at most MAX_PAYLOAD.
      send: function (kind, payload) {
        if (ch.closed || !ws) return false;
        var len = payload ? payload.length : 0;
        if (1 + len > MAX_PAYLOAD) throw new Error("stream message too large");
        var b = new Uint8Array(2 + len);
        b[0] = n; b[1] = kind;
        if (payload) b.set(payload, 2);
        if (ch.open) ws.send(b); else queue.push(b);
        return true;
      },
      sendJSON: function (kind, obj) { return ch.send(kind, encoder.encode(JSON.stringify(obj))); },
      close: function () {
        if (ch.closed || ch.closing) return;
        ch.closing = true;
        send({ type: "close", channel: n });
      }
    };
    channels[n] = ch;
    send({ type: "open", channel: n, action: action, args: args || {} });
    return ch;
  }

  function closedChannel(n, reason) {
    var ch = channels[n];
    if (!ch) return;
    delete channels[n];
    ch.closed = true;
    if (ch.onClose) ch.onClose(reason);
  }

  // waitDrain resolves when the WebSocket's send buffer is small again, so that a large upload
  // does not pile up in the browser (the server reads us only as fast as the agent takes it).
  function waitDrain() {
    return new Promise(function (resolve) {
      (function check() {
        if (!ws || ws.bufferedAmount < 1 << 20) resolve();
        else setTimeout(check, 15);
      })();
    });
  }

  function command(action, args, cb) {
    var id = "c" + (++commandSeq);
    commands[id] = cb;
    send({ type: "command", id: id, action: action, args: args || {} });
  }

  // ---- tabs ----

  var shown = {};
  function currentPanel() {
    var t = root.querySelector("[role=tab][aria-selected=true]");
    return t ? t.getAttribute("data-panel") : "";
  }
  function selectTab(tab, focus) {
    // The screen streams only while its panel is shown: a hidden stream of a busy screen fills the
    // WebSocket with tiles no one sees, and the other tools' messages wait behind them for seconds.
    if (tab.getAttribute("data-panel") !== "screen") screenPause();
    root.querySelectorAll("[role=tab]").forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    });
    if (focus) tab.focus();
    panelShown(tab.getAttribute("data-panel"));
  }
  // panelShown starts a panel's tool the first time it is shown in an active session.
  function panelShown(key) {
    if (state !== "active" || !key) return;
    if (key === "terminal") terminalShown();
    if (key === "files" && !shown.files) { shown.files = true; filesList(filesPathValue()); }
    if (key === "tasks" && !shown.tasks) { shown.tasks = true; tasksRefresh(); }
    if (key === "screen" && (!shown.screen || screenWanted) && !(screenChannel && !screenChannel.closed)) {
      shown.screen = true;
      screenStart();
    }
  }
  root.querySelectorAll("[role=tab]").forEach(function (tab) {
    tab.addEventListener("click", function () { selectTab(tab, false); });
    tab.addEventListener("keydown", function (e) {
      var tabs = Array.prototype.filter.call(root.querySelectorAll("[role=tab]"), function (t) { return !t.hidden; });
      var i = tabs.indexOf(tab), j = -1;
      if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
      else if (e.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
      else if (e.key === "Home") j = 0;
      else if (e.key === "End") j = tabs.length - 1;
      if (j >= 0) { e.preventDefault(); selectTab(tabs[j], true); }
    });
  });

  // ---- terminal ----

  var term = null, fit = null, termChannel = null;
  function terminalShown() {
    if (!window.Terminal) return;
    if (!term) {
      cspStyles();
      term = new window.Terminal({ cursorBlink: true, convertEol: false, fontSize: 14, scrollback: 5000,
        fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace' });
      if (window.FitAddon) { fit = new window.FitAddon.FitAddon(); term.loadAddon(fit); }
      var host = $("terminal");
      term.open(host);
      term.onData(function (d) { termSend(0x10, encoder.encode(d)); });
      term.onBinary(function (d) {
        var b = new Uint8Array(d.length);
        for (var i = 0; i < d.length; i++) b[i] = d.charCodeAt(i) & 255;
        termSend(0x10, b);
      });
      term.onResize(function (s) {
        var b = new Uint8Array(4);
        put16(b, 0, s.cols); put16(b, 2, s.rows);
        if (termChannel && !termChannel.closed) termChannel.send(0x11, b);
      });
      window.addEventListener("resize", function () { if (fit && !$("panel-terminal").hidden) fit.fit(); });
      host.addEventListener("click", function () { term.focus(); });
    }
    if (fit) fit.fit();
    if (!termChannel) terminalOpen();
    term.focus();
  }
  function termSend(kind, bytes) {
    if (!termChannel || termChannel.closed) return;
    for (var o = 0; o < bytes.length; o += MAX_PAYLOAD - 1) termChannel.send(kind, bytes.subarray(o, o + MAX_PAYLOAD - 1));
  }
  function terminalOpen() {
    if (termChannel && !termChannel.closed) termChannel.close();
    var host = $("terminal");
    var mine = null; // this terminal's channel: an older one closing must not touch the new one
    var current = function () { return mine !== null && termChannel === mine; };
    mine = termChannel = openChannel("terminal", { cols: term.cols, rows: term.rows }, {
      onOpen: function () { if (!current()) return; host.setAttribute("data-state", "open"); say("terminal-status", ""); },
      onData: function (kind, p) {
        if (!current()) return;
        if (kind === 0x12) term.write(p.slice());
        else if (kind === 0x13 && p.length >= 4) {
          var code = i32(p, 0);
          host.setAttribute("data-state", "exited");
          host.setAttribute("data-exit-code", String(code));
          say("terminal-status", tr("terminal.exited", code) + " " + tr("terminal.reconnect"));
        }
      },
      onClose: function (reason) {
        if (!current()) return;
        if (host.getAttribute("data-state") !== "exited") {
          host.setAttribute("data-state", "closed");
          say("terminal-status", (reason ? tr("channel_closed", reasonText(reason)) + " " : tr("terminal.closed") + " ") + tr("terminal.reconnect"));
        }
      }
    });
    if (termChannel) { host.setAttribute("data-state", "opening"); term.reset(); }
  }
  if ($("terminal-open")) $("terminal-open").addEventListener("click", function () {
    if (!term) { terminalShown(); return; }
    terminalOpen();
    term.focus();
  });

  // cspStyles makes xterm.js's styles pass the portal's Content Security Policy (style-src 'self',
  // no inline styles) without a single refused attempt, each of which the browser reports as an
  // error. It must run before xterm creates anything:
  //  - xterm sizes and colours its rows with <style> elements it fills with textContent. Here a
  //    <style> is created as an inert, hidden stand-in whose text goes into a constructed style sheet
  //    (CSSOM, which the policy allows), adopted by the document until the stand-in is removed.
  //  - xterm colours some cells with setAttribute("style", …), which the policy refuses; the same
  //    declarations set through element.style (CSSOM) are allowed.
  // No other script of this page creates <style> elements or style attributes.
  var cspStylesDone = false;
  function cspStyles() {
    if (cspStylesDone) return;
    cspStylesDone = true;
    if ("adoptedStyleSheets" in document && typeof CSSStyleSheet === "function") {
      var createElement = document.createElement;
      document.createElement = function (tag, options) {
        if (typeof tag !== "string" || tag.toLowerCase() !== "style") return createElement.apply(this, arguments);
        return styleStandIn(createElement.call(this, "portico-style"));
      };
    }
    var setAttribute = Element.prototype.setAttribute;
    Element.prototype.setAttribute = function (name, value) {
      if (typeof name === "string" && name.toLowerCase() === "style" && this.style) {
        this.style.cssText = String(value);
        return;
      }
      return setAttribute.apply(this, arguments);
    };
  }
  function styleStandIn(stand) {
    var sheet = new CSSStyleSheet(), text = "", adopted = false;
    stand.hidden = true;
    function adopt(on) {
      if (on === adopted) return;
      adopted = on;
      document.adoptedStyleSheets = on ? document.adoptedStyleSheets.concat([sheet])
        : document.adoptedStyleSheets.filter(function (x) { return x !== sheet; });
    }
    Object.defineProperty(stand, "textContent", {
      configurable: true,
      get: function () { return text; },
      set: function (v) {
        text = v == null ? "" : String(v);
        try { sheet.replaceSync(text); } catch (e) { /* keep the last good rules */ }
      }
    });
    Object.defineProperty(stand, "innerText", Object.getOwnPropertyDescriptor(stand, "textContent"));
    var remove = stand.remove;
    stand.remove = function () { adopt(false); return remove.apply(this, arguments); };
    adopt(true);
    return stand;
  }

  // ---- files ----

  var filesChannel = null, filesSeq = 0, filesPending = {}, filesEntries = [], filesCwd = "/";
  var filesSep = "/";

  // filesPathValue is the typed path, tidied the way the agent wants it: no trailing or doubled
  // separator (except a root such as "/" or "C:\\").
  function filesPathValue() {
    var p = ($("files-path") && $("files-path").value.trim()) || "/";
    var sep = p.indexOf("\\") >= 0 && p.indexOf("/") < 0 ? "\\" : "/";
    p = p.split(sep).filter(function (part, i) { return part !== "" || i === 0; }).join(sep);
    if (p === "") p = sep;
    if (/^[A-Za-z]:$/.test(p)) p += "\\";
    return p;
  }
  function filesJoin(dir, name) {
    if (dir.slice(-1) === filesSep) return dir + name;
    return dir + filesSep + name;
  }
  function filesParent(p) {
    if (/^[A-Za-z]:\\?$/.test(p) || p === "/") return p;
    var i = p.lastIndexOf(filesSep);
    if (i < 0) return p;
    var up = p.slice(0, i);
    if (up === "") return "/";
    if (/^[A-Za-z]:$/.test(up)) return up + "\\";
    return up;
  }
  function filesBrowser() {
    if (filesChannel && !filesChannel.closed) return filesChannel;
    filesChannel = openChannel("file_transfer", null, {
      onData: function (kind, p) {
        if (kind !== 0x21) return;
        var r;
        try { r = JSON.parse(decoder.decode(p)); } catch (e) { return; }
        var h = filesPending[r.id];
        if (!h) return;
        if (!r.more) delete filesPending[r.id];
        h(r);
      },
      onClose: function (reason) {
        Object.keys(filesPending).forEach(function (id) { filesPending[id]({ ok: false, error: reason || tr("terminal.closed") }); });
        filesPending = {};
      }
    });
    return filesChannel;
  }
  // filesRequest sends one request on the browsing stream; onResponse gets every response to it
  // (a long listing comes in several).
  function filesRequest(req, onResponse) {
    var ch = filesBrowser();
    if (!ch) return;
    req.id = ++filesSeq;
    filesPending[req.id] = onResponse;
    ch.sendJSON(0x20, req);
  }
  function filesList(path) {
    say("files-status", tr("files.loading", path));
    var acc = [];
    filesRequest({ op: "list", path: path }, function (r) {
      if (!r.ok) { say("files-status", tr("files.failed", path, r.error)); return; }
      acc = acc.concat(r.entries || []);
      if (r.more) return;
      filesCwd = path;
      filesSep = /^[A-Za-z]:\\/.test(path) || path.indexOf("\\") >= 0 ? "\\" : "/";
      $("files-path").value = path;
      filesEntries = acc;
      filesRender();
      say("files-status", acc.length ? "" : tr("files.empty"));
    });
  }
  function filesRender() {
    var body = $("files-list").tBodies[0];
    body.textContent = "";
    var list = filesEntries.slice().sort(function (a, b) {
      if (a.is_dir !== b.is_dir) return a.is_dir ? -1 : 1;
      return a.name.localeCompare(b.name, lang);
    });
    list.forEach(function (f) {
      var full = filesJoin(filesCwd, f.name);
      var nameCell = f.is_dir
        ? el("button", { type: "button", class: "link files-open", "aria-label": tr("files.open", f.name), text: f.name + filesSep,
          onclick: function () { filesList(full); } })
        : el("span", { text: f.name });
      var acts = el("td", { class: "files-actions" }, [
        f.is_dir ? null : el("button", { type: "button", class: "files-download", text: tr("files.download"),
          "aria-label": tr("files.download") + " " + f.name, onclick: function () { filesDownload(full, f.name, f.size); } }),
        el("button", { type: "button", class: "files-rename", text: tr("files.rename"), "aria-label": tr("files.rename") + " " + f.name,
          onclick: function () { filesRename(full, f.name); } }),
        el("button", { type: "button", class: "files-delete danger", text: tr("files.delete"), "aria-label": tr("files.delete") + " " + f.name,
          onclick: function () { filesDelete(full, f.name, f.is_dir); } })
      ]);
      body.appendChild(el("tr", { "data-name": f.name, "data-dir": f.is_dir ? "true" : "false" }, [
        el("th", { scope: "row" }, [nameCell]),
        el("td", { class: "num", text: f.is_dir ? "" : formatBytes(f.size) }),
        el("td", { text: formatTime(f.mtime) }),
        el("td", { class: "mono", text: f.mode || "" }),
        acts
      ]));
    });
  }
  function filesSimple(req, okText) {
    filesRequest(req, function (r) {
      if (!r.ok) { say("files-status", tr("files.failed", req.path, r.error)); return; }
      say("files-status", okText || "");
      filesList(filesCwd);
    });
  }
  function filesRename(full, name) {
    promptDialog(tr("files.rename_prompt", name), name).then(function (to) {
      if (!to || to === name || /[\\/]/.test(to)) return;
      filesSimple({ op: "rename", path: full, to: filesJoin(filesCwd, to) });
    });
  }
  function filesDelete(full, name, dir) {
    confirmDialog(tr("files.confirm_delete", name)).then(function (yes) {
      if (yes) filesSimple({ op: "delete", path: full, recursive: !!dir });
    });
  }
  function filesMkdir() {
    promptDialog(tr("files.mkdir_prompt"), "").then(function (name) {
      if (!name || /[\\/]/.test(name)) return;
      filesSimple({ op: "mkdir", path: filesJoin(filesCwd, name) });
    });
  }

  // transferRow adds a line with a progress bar to the transfers list.
  function transferRow(label) {
    var bar = el("progress", { max: "1", value: "0" });
    var text = el("span", { class: "transfer-text", text: label });
    var cancel = el("button", { type: "button", class: "link", text: tr("confirm.no") });
    var li = el("li", { "data-state": "running" }, [text, bar, cancel]);
    $("files-transfers").prepend(li);
    return {
      li: li, cancel: cancel,
      progress: function (done, total) { bar.max = total || 1; bar.value = done; },
      finish: function (ok, msg) {
        li.setAttribute("data-state", ok ? "done" : "failed");
        text.textContent = msg;
        bar.hidden = ok; cancel.hidden = true;
        if (ok) bar.value = bar.max;
      }
    };
  }

  // filesDownload fetches a file on its own stream, checks its SHA-256 against the agent's final
  // response, and saves it through a link with the download attribute.
  function filesDownload(path, name, size) {
    var row = transferRow(tr("files.downloading", name));
    var parts = [], got = 0, total = size || 0, finished = false;
    var ch = openChannel("file_transfer", null, {
      onData: function (kind, p) {
        if (kind === 0x22 && p.length >= 8) {
          parts.push(p.slice(8));
          got += p.length - 8;
          row.progress(got, total);
          return;
        }
        if (kind !== 0x21) return;
        var r;
        try { r = JSON.parse(decoder.decode(p)); } catch (e) { return; }
        if (!r.ok) { finished = true; row.finish(false, tr("files.failed", name, r.error)); ch.close(); return; }
        if (r.size) total = r.size;
        if (!r.done) return;
        finished = true;
        ch.close();
        var blob = new Blob(parts, { type: "application/octet-stream" });
        sha256(blob).then(function (sum) {
          if (sum && r.sha256 && sum !== r.sha256) { row.finish(false, tr("files.checksum_failed", name)); return; }
          var url = URL.createObjectURL(blob);
          var a = el("a", { href: url, download: name, class: "visually-hidden" });
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
          row.finish(true, tr("files.download_done", name));
        });
      },
      onClose: function (reason) { if (!finished) row.finish(false, tr("files.failed", name, reason || tr("terminal.closed"))); }
    });
    if (!ch) { row.finish(false, tr("files.failed", name, tr("state." + state))); return; }
    row.cancel.addEventListener("click", function () { ch.close(); });
    ch.sendJSON(0x20, { id: 1, op: "download", path: path, offset: 0 });
  }

  // filesUpload sends a file on its own stream: the agent answers the offset it already holds (an
  // interrupted upload resumes there), chunks of 60 KiB follow, and upload_end has the agent check
  // the SHA-256 before the file takes its place.
  function filesUpload(file) {
    var dir = filesCwd, path = filesJoin(dir, file.name);
    var row = transferRow(tr("files.uploading", file.name));
    var CHUNK = 60 * 1024, finished = false, cancelled = false, ch = null;
    function fail(msg) { if (!finished) { finished = true; row.finish(false, tr("files.failed", file.name, msg)); } if (ch) ch.close(); }
    row.cancel.addEventListener("click", function () { cancelled = true; fail(tr("confirm.no")); });
    sha256(file).then(function (sum) {
      if (!sum) { fail("SHA-256"); return; }
      var step = 0;
      ch = openChannel("file_transfer", null, {
        onData: function (kind, p) {
          if (kind !== 0x21) return;
          var r;
          try { r = JSON.parse(decoder.decode(p)); } catch (e) { return; }
          if (!r.ok) { fail(r.error); return; }
          if (step === 0) {
            step = 1;
            var from = r.offset || 0;
            if (from > 0) say("files-status", tr("files.resuming", file.name, formatBytes(from)));
            sendFrom(from);
          } else if (r.id === 2) {
            finished = true;
            row.finish(true, tr("files.upload_done", file.name));
            ch.close();
            if (filesCwd === dir) filesList(dir);
          }
        },
        onClose: function (reason) { fail(reason || tr("terminal.closed")); }
      });
      if (!ch) { fail(tr("state." + state)); return; }
      ch.sendJSON(0x20, { id: 1, op: "upload", path: path, size: file.size, sha256: sum });
      function sendFrom(off) {
        if (cancelled || ch.closed) return;
        row.progress(off, file.size);
        if (off >= file.size) { ch.sendJSON(0x20, { id: 2, op: "upload_end", path: path }); return; }
        var end = Math.min(off + CHUNK, file.size);
        file.slice(off, end).arrayBuffer().then(function (buf) {
          var b = new Uint8Array(8 + buf.byteLength);
          put64(b, 0, off);
          b.set(new Uint8Array(buf), 8);
          ch.send(0x22, b);
          return waitDrain();
        }).then(function () { sendFrom(end); }, function (e) { fail(String(e)); });
      }
    }, function (e) { fail(String(e)); });
  }

  if ($("files-list")) {
    $("files-go").addEventListener("submit", function (e) { e.preventDefault(); filesList(filesPathValue()); });
    $("files-up").addEventListener("click", function () { filesList(filesParent(filesCwd)); });
    $("files-refresh").addEventListener("click", function () { filesList(filesCwd); });
    $("files-mkdir").addEventListener("click", filesMkdir);
    $("files-upload-input").addEventListener("change", function (e) {
      Array.prototype.forEach.call(e.target.files, filesUpload);
      e.target.value = "";
    });
    var drop = $("files-drop");
    drop.addEventListener("dragover", function (e) {
      if (state !== "active") return;
      e.preventDefault();
      drop.classList.add("dragging");
    });
    drop.addEventListener("dragleave", function () { drop.classList.remove("dragging"); });
    drop.addEventListener("drop", function (e) {
      e.preventDefault();
      drop.classList.remove("dragging");
      if (state !== "active") return;
      Array.prototype.forEach.call(e.dataTransfer.files, filesUpload);
    });
  }

  // ---- task manager ----

  var tasksChannel = null, tasksSeq = 0, tasksPending = {}, processes = [], tasksSort = { key: "cpu", desc: true };
  function tasksStream() {
    if (tasksChannel && !tasksChannel.closed) return tasksChannel;
    tasksChannel = openChannel("task_manager", null, {
      onData: function (kind, p) {
        if (kind !== 0x31) return;
        var r;
        try { r = JSON.parse(decoder.decode(p)); } catch (e) { return; }
        var h = tasksPending[r.id];
        if (!h) return;
        if (!r.more) delete tasksPending[r.id];
        h(r);
      },
      onClose: function (reason) {
        Object.keys(tasksPending).forEach(function (id) { tasksPending[id]({ ok: false, error: reason || tr("terminal.closed") }); });
        tasksPending = {};
      }
    });
    return tasksChannel;
  }
  function tasksRequest(req, cb) {
    var ch = tasksStream();
    if (!ch) return;
    req.id = ++tasksSeq;
    tasksPending[req.id] = cb;
    ch.sendJSON(0x30, req);
  }
  function tasksRefresh() {
    say("tasks-status", tr("tasks.loading"));
    var acc = [];
    tasksRequest({ op: "processes" }, function (r) {
      if (!r.ok) { say("tasks-status", tr("tasks.failed", r.error)); return; }
      acc = acc.concat(r.processes || []);
      if (r.more) return;
      processes = acc;
      say("tasks-status", "");
      tasksRender();
    });
  }
  function tasksRender() {
    var filter = ($("tasks-filter").value || "").toLowerCase();
    var k = tasksSort.key, dir = tasksSort.desc ? -1 : 1;
    var list = processes.filter(function (p) {
      return !filter || (p.name || "").toLowerCase().indexOf(filter) >= 0 || String(p.pid) === filter ||
        (p.user || "").toLowerCase().indexOf(filter) >= 0;
    }).sort(function (a, b) {
      var x, y;
      if (k === "name") { x = (a.name || "").toLowerCase(); y = (b.name || "").toLowerCase(); }
      else if (k === "pid") { x = a.pid; y = b.pid; }
      else if (k === "memory") { x = a.memory_bytes; y = b.memory_bytes; }
      else { x = a.cpu_percent; y = b.cpu_percent; }
      return x < y ? -dir : x > y ? dir : a.pid - b.pid;
    });
    var body = $("tasks-list").tBodies[0];
    body.textContent = "";
    list.forEach(function (p) {
      body.appendChild(el("tr", { "data-pid": String(p.pid) }, [
        el("th", { scope: "row", title: p.command_line || "", text: p.name }),
        el("td", { class: "num", text: String(p.pid) }),
        el("td", { text: p.user || "" }),
        el("td", { class: "num", text: new Intl.NumberFormat(lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(p.cpu_percent || 0) }),
        el("td", { class: "num", text: formatBytes(p.memory_bytes || 0) }),
        el("td", {}, [el("button", { type: "button", class: "tasks-kill danger", text: tr("tasks.kill"),
          "aria-label": tr("tasks.kill") + " " + p.name + " (" + p.pid + ")",
          onclick: function () { tasksKill(p); } })])
      ]));
    });
    $("tasks-list").querySelectorAll("th[aria-sort]").forEach(function (th) {
      var b = th.querySelector("button.sort");
      th.setAttribute("aria-sort", b && b.getAttribute("data-sort") === k ? (tasksSort.desc ? "descending" : "ascending") : "none");
    });
  }
  function tasksKill(p) {
    confirmDialog(tr("tasks.confirm_kill", p.name, p.pid)).then(function (yes) {
      if (!yes) return;
      tasksRequest({ op: "kill", pid: p.pid }, function (r) {
        say("tasks-status", r.ok ? tr("tasks.done") : tr("tasks.failed", r.error));
        if (r.ok) tasksRefresh();
      });
    });
  }
  function servicesLoad() {
    say("tasks-status", tr("tasks.loading"));
    var acc = [];
    tasksRequest({ op: "services" }, function (r) {
      if (!r.ok) { say("tasks-status", tr("tasks.failed", r.error)); return; }
      acc = acc.concat(r.services || []);
      if (r.more) return;
      say("tasks-status", "");
      $("services").hidden = false;
      var body = $("services-list").tBodies[0];
      body.textContent = "";
      acc.sort(function (a, b) { return a.name.localeCompare(b.name); }).forEach(function (s) {
        body.appendChild(el("tr", { "data-service": s.name }, [
          el("th", { scope: "row", text: s.name }),
          el("td", { text: s.description || "" }),
          el("td", { text: s.state }),
          el("td", { class: "service-actions" }, ["start", "stop", "restart"].map(function (verb) {
            return el("button", { type: "button", text: tr("tasks." + verb), "data-verb": verb,
              "aria-label": tr("tasks." + verb) + " " + s.name, onclick: function () { serviceVerb(s.name, verb); } });
          }))
        ]));
      });
    });
  }
  function serviceVerb(name, verb) {
    confirmDialog(tr("tasks.confirm_service", tr("tasks." + verb), name)).then(function (yes) {
      if (!yes) return;
      tasksRequest({ op: "service", name: name, verb: verb }, function (r) {
        say("tasks-status", r.ok ? tr("tasks.done") : tr("tasks.failed", r.error));
        if (r.ok) servicesLoad();
      });
    });
  }
  if ($("tasks-list")) {
    $("tasks-refresh").addEventListener("click", tasksRefresh);
    $("tasks-filter").addEventListener("input", tasksRender);
    $("tasks-services-load").addEventListener("click", servicesLoad);
    $("tasks-list").querySelectorAll("button.sort").forEach(function (b) {
      b.addEventListener("click", function () {
        var k = b.getAttribute("data-sort");
        tasksSort = { key: k, desc: tasksSort.key === k ? !tasksSort.desc : (k === "cpu" || k === "memory") };
        tasksRender();
      });
    });
  }

  // ---- chat and message ----

  function chatLine(cls, who, text, at) {
    var log = $("chat-log");
    if (!log) return;
    var time = (at ? new Date(at) : new Date()).toLocaleTimeString(lang, { timeStyle: "short" });
    log.appendChild(el("li", { class: cls }, [
      el("span", { class: "chat-who", text: who }), el("span", { class: "chat-time", text: time }),
      el("p", { class: "chat-text", text: text })
    ]));
    log.scrollTop = log.scrollHeight;
  }
  function chatReceived(m) {
    if (m.from === "technician") return; // our own lines are shown when sent
    chatLine("chat-in", m.name || tr("chat.end_user"), m.text, m.sent_at);
    var tab = $("tab-chat");
    if (tab && tab.getAttribute("aria-selected") !== "true") tab.classList.add("unread");
  }
  if ($("chat-form")) {
    $("chat-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var input = $("chat-input"), text = input.value.trim();
      if (!text || state !== "active") return;
      send({ type: "chat", text: text.slice(0, 4000) });
      chatLine("chat-out", tr("chat.you"), text);
      input.value = "";
      input.focus();
    });
    $("tab-chat").addEventListener("click", function () { $("tab-chat").classList.remove("unread"); });
  }
  if ($("message-form")) {
    $("message-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var text = $("message-text").value.trim();
      if (!text || state !== "active") return;
      var title = actionTitle("message");
      say("message-result", tr("command.sent", title));
      command("message", { text: text }, function (r) {
        var out = $("message-result");
        out.setAttribute("data-ok", r.ok ? "true" : "false");
        out.textContent = r.ok ? tr("command.ok", title) : tr("command.failed", title, r.error || "");
        if (r.ok) $("message-text").value = "";
      });
    });
  }

  // ---- power and one-shot commands ----

  root.querySelectorAll("button[data-command]").forEach(function (b) {
    b.addEventListener("click", function () {
      var act = b.getAttribute("data-command");
      confirmDialog(tr("confirm." + act)).then(function (yes) {
        if (!yes) return;
        var title = actionTitle(act);
        var li = el("li", { "data-command": act, "data-state": "sent", text: tr("command.sent", title) });
        $("command-results").prepend(li);
        command(act, act === "blank_screen" ? { on: true } : {}, function (r) {
          li.setAttribute("data-state", r.ok ? "ok" : "failed");
          li.textContent = r.ok ? tr("command.ok", title) : tr("command.failed", title, r.error || "");
        });
      });
    });
  });

  // ---- screenshot ----

  var shotURL = null;
  if ($("screenshot-take")) {
    $("screenshot-take").addEventListener("click", function () {
      var begin = null, parts = [], done = false;
      say("screenshot-status", tr("screenshot.taking"));
      var ch = openChannel("screenshot", {}, {
        onData: function (kind, p) {
          if (kind === 0x60) {
            try { begin = JSON.parse(decoder.decode(p)); } catch (e) { begin = null; }
          } else if (kind === 0x61) {
            parts.push(p.slice());
          } else if (kind === 0x62) {
            done = true;
            var end = {};
            try { end = JSON.parse(decoder.decode(p)); } catch (e) { end = {}; }
            var blob = new Blob(parts, { type: "image/png" });
            sha256(blob).then(function (sum) {
              if (sum && end.sha256 && sum !== end.sha256) { say("screenshot-status", tr("screenshot.checksum_failed")); return; }
              if (shotURL) URL.revokeObjectURL(shotURL);
              shotURL = URL.createObjectURL(blob);
              var img = $("screenshot-img");
              img.src = shotURL;
              img.hidden = false;
              var a = $("screenshot-download");
              a.href = shotURL;
              a.download = (root.getAttribute("data-device-name") || "screenshot").replace(/[^\w.-]+/g, "_") + "-" +
                new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19) + ".png";
              a.hidden = false;
              say("screenshot-status", tr("screenshot.taken", begin ? numberFormat.format(begin.width) : "?", begin ? numberFormat.format(begin.height) : "?"));
            });
          }
        },
        onClose: function (reason) { if (!done) say("screenshot-status", tr("channel_closed", reasonText(reason) || tr("state.failed"))); }
      });
      if (!ch) say("screenshot-status", tr("state." + state));
    });
  }

  // ---- clipboard ----

  var clipChannel = null, clipSeq = 0, clipPending = {};
  function clipRequest(req, cb) {
    if (!clipChannel || clipChannel.closed) {
      clipChannel = openChannel("clipboard", null, {
        onData: function (kind, p) {
          if (kind !== 0x51) return;
          var r;
          try { r = JSON.parse(decoder.decode(p)); } catch (e) { return; }
          var h = clipPending[r.id];
          delete clipPending[r.id];
          if (h) h(r);
        },
        onClose: function (reason) { if (reason) say("clipboard-status", tr("channel_closed", reasonText(reason))); }
      });
    }
    if (!clipChannel) return;
    req.id = ++clipSeq;
    clipPending[req.id] = cb;
    clipChannel.sendJSON(0x50, req);
  }
  if ($("clipboard-get")) {
    $("clipboard-get").addEventListener("click", function () {
      clipRequest({ op: "get" }, function (r) {
        if (!r.ok) { say("clipboard-status", tr("error", r.error)); return; }
        $("clipboard-text").value = r.text || "";
        say("clipboard-status", tr("clipboard.read"));
      });
    });
    $("clipboard-set").addEventListener("click", function () {
      var text = $("clipboard-text").value;
      if (encoder.encode(text).length > 60 * 1024) { say("clipboard-status", tr("error", "60 KiB")); return; }
      clipRequest({ op: "set", text: text }, function (r) {
        say("clipboard-status", r.ok ? tr("clipboard.written") : tr("error", r.error));
      });
    });
  }

  // ---- screen view and remote control ----

  var screenChannel = null, screenCtx = null;
  // Tiles are decoded and drawn in batches, one at a time. Tiles of a frame wait in frameTiles until
  // its end, then join readyTiles, where a newer tile replaces an older one at the same place that
  // was not drawn yet. A busy screen then costs at most one decode per place per batch: the page
  // keeps up with the stream (and with clicks and the other channels) instead of decoding every
  // tile of every frame while thousands of messages queue behind them.
  var frameTiles = new Map(), readyTiles = new Map(), tilesDrawing = false;
  function drawTiles() {
    if (tilesDrawing || !readyTiles.size) return;
    var batch = Array.from(readyTiles.values());
    readyTiles = new Map();
    tilesDrawing = true;
    Promise.all(batch.map(function (t) {
      return createImageBitmap(new Blob([t.data], { type: t.type })).then(function (bmp) {
        return { x: t.x, y: t.y, bmp: bmp };
      }, function () { return null; });
    })).then(function (ts) {
      ts.forEach(function (t) {
        if (!t) return;
        if (screenCtx) screenCtx.drawImage(t.bmp, t.x, t.y);
        t.bmp.close();
      });
      tilesDrawing = false;
      drawTiles();
    });
  }
  var screenWanted = false; // the stream runs, or would run, while the screen panel is shown
  var canvas = $("screen-canvas");
  var keyboardHeld = false;
  var pressedKeys = {}; // KeyboardEvent.code → keysym sent on key down, so key up matches

  function controlling() {
    return canvas && canvas.getAttribute("data-control") === "true" && actions.indexOf("remote_control") >= 0 &&
      (!$("screen-control") || $("screen-control").checked) && screenChannel && !screenChannel.closed &&
      screenChannel.action === "remote_control";
  }
  function screenStart() {
    if (!canvas) return;
    if (screenChannel && !screenChannel.closed) screenChannel.close();
    screenWanted = true;
    screenCtx = canvas.getContext("2d");
    var action = canvas.getAttribute("data-control") === "true" && actions.indexOf("remote_control") >= 0 ? "remote_control" : "screen_view";
    var format = $("screen-format").value === "jpeg" ? "jpeg" : "png";
    say("screen-status", tr("screen.waiting"));
    var ch = openChannel(action, { fps: 10, format: format }, {
      onData: function (kind, p) {
        if (screenChannel !== ch) return;
        if (kind === 0x70 && p.length >= 9) {
          var w = u16(p, 4), h = u16(p, 6);
          frameTiles = new Map(); // the tiles of a frame that never ended are not drawn
          if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; readyTiles = new Map(); }
          say("screen-status", "");
          canvas.setAttribute("data-frames", String(u32(p, 0)));
        } else if (kind === 0x71 && p.length > 9) {
          var x = u16(p, 0), y = u16(p, 2);
          frameTiles.set(x + "," + y, { x: x, y: y, type: p[8] === 2 ? "image/jpeg" : "image/png", data: p.slice(9) });
        } else if (kind === 0x72) {
          // Whole frames only, in order: a batch holds the newest complete tile of each place.
          frameTiles.forEach(function (t, k) { readyTiles.set(k, t); });
          frameTiles = new Map();
          drawTiles();
        }
      },
      onClose: function (reason) {
        releaseKeyboard();
        if (screenChannel !== ch) return; // a paused or replaced stream ending late
        $("screen-start").disabled = state !== "active";
        $("screen-stop").disabled = true;
        releaseKeyboard();
        say("screen-status", reason ? tr("channel_closed", reasonText(reason)) : "");
      }
    });
    screenChannel = ch;
    if (ch) { $("screen-stop").disabled = false; }
  }
  function screenStop() {
    screenWanted = false;
    if (screenChannel && !screenChannel.closed) screenChannel.close();
  }
  // screenPause ends the stream while the screen panel is hidden; showing the panel starts it again.
  function screenPause() {
    if (screenChannel && !screenChannel.closed) screenChannel.close();
    frameTiles = new Map();
    readyTiles = new Map();
  }

  // Screen coordinates of a pointer event: the canvas is scaled to fit, the device's screen is not.
  function screenPoint(e) {
    var r = canvas.getBoundingClientRect();
    if (!r.width || !r.height || !canvas.width) return null;
    var x = Math.round((e.clientX - r.left) * canvas.width / r.width);
    var y = Math.round((e.clientY - r.top) * canvas.height / r.height);
    return { x: Math.max(0, Math.min(canvas.width - 1, x)), y: Math.max(0, Math.min(canvas.height - 1, y)) };
  }
  var pendingMove = null, moveScheduled = false;
  function sendMove() {
    moveScheduled = false;
    if (!pendingMove || !controlling()) return;
    var b = new Uint8Array(4);
    put16(b, 0, pendingMove.x); put16(b, 2, pendingMove.y);
    pendingMove = null;
    screenChannel.send(0x78, b);
  }
  function pointerButton(e, down) {
    var button = { 0: 1, 1: 2, 2: 3 }[e.button];
    if (!button || !controlling()) return;
    var pt = screenPoint(e);
    if (pt) { pendingMove = pt; sendMove(); }
    screenChannel.send(0x79, new Uint8Array([button, down ? 1 : 0]));
  }

  // Keysyms (X11) of the keys that do not type a character.
  var keysyms = {
    Backspace: 0xff08, Tab: 0xff09, Enter: 0xff0d, Escape: 0xff1b, Delete: 0xffff, Home: 0xff50,
    ArrowLeft: 0xff51, ArrowUp: 0xff52, ArrowRight: 0xff53, ArrowDown: 0xff54, PageUp: 0xff55, PageDown: 0xff56,
    End: 0xff57, Insert: 0xff63, Pause: 0xff13, ScrollLock: 0xff14, PrintScreen: 0xff61, ContextMenu: 0xff67,
    NumLock: 0xff7f, CapsLock: 0xffe5,
    ShiftLeft: 0xffe1, ShiftRight: 0xffe2, ControlLeft: 0xffe3, ControlRight: 0xffe4,
    AltLeft: 0xffe9, AltRight: 0xffea, MetaLeft: 0xffeb, MetaRight: 0xffec, OSLeft: 0xffeb, OSRight: 0xffec,
    Shift: 0xffe1, Control: 0xffe3, Alt: 0xffe9, Meta: 0xffeb, AltGraph: 0xfe03
  };
  for (var f = 1; f <= 12; f++) keysyms["F" + f] = 0xffbe + f - 1;

  // keysym maps a KeyboardEvent to an X11 keysym: printable keys by their character (Latin-1 as is,
  // the rest as 0x01000000 + code point), others from the table (modifiers by their side).
  function keysym(e) {
    if (keysyms[e.code] && /^(Shift|Control|Alt|Meta|OS)/.test(e.code)) return keysyms[e.code];
    if (e.key && e.key.length > 0 && Array.from(e.key).length === 1) {
      var cp = e.key.codePointAt(0);
      if (cp >= 0x20 && cp <= 0x7e) return cp;
      if (cp >= 0xa0 && cp <= 0xff) return cp;
      if (cp > 0xff) return 0x01000000 + cp;
    }
    return keysyms[e.key] || keysyms[e.code] || 0;
  }
  function sendKey(sym, down) {
    var b = new Uint8Array(5);
    put32(b, 0, sym);
    b[4] = down ? 1 : 0;
    screenChannel.send(0x7b, b);
  }
  function captureKeyboard() {
    if (!controlling()) return;
    keyboardHeld = true;
    canvas.classList.add("captured");
    if ($("screen-release")) $("screen-release").hidden = false;
    say("screen-status", tr("screen.keyboard_captured"));
  }
  function releaseKeyboard() {
    if (!keyboardHeld) return;
    keyboardHeld = false;
    // Keys still held at the device are let go, or they would stay pressed there.
    Object.keys(pressedKeys).forEach(function (code) {
      if (controlling()) sendKey(pressedKeys[code], false);
    });
    pressedKeys = {};
    if (canvas) canvas.classList.remove("captured");
    if ($("screen-release")) $("screen-release").hidden = true;
    if (document.activeElement === canvas) canvas.blur();
    say("screen-status", tr("screen.keyboard_released"));
  }

  if (canvas) {
    $("screen-start").addEventListener("click", screenStart);
    $("screen-stop").addEventListener("click", screenStop);
    $("screen-format").addEventListener("change", function () { if (screenChannel && !screenChannel.closed) screenStart(); });
    if ($("screen-release")) {
      $("screen-release").setAttribute("data-keep", "");
      $("screen-release").addEventListener("click", function () { releaseKeyboard(); $("screen-release").hidden = true; });
    }
    if ($("screen-control")) $("screen-control").addEventListener("change", function () { if (!this.checked) releaseKeyboard(); });
    canvas.addEventListener("focus", captureKeyboard);
    canvas.addEventListener("blur", releaseKeyboard);
    canvas.addEventListener("pointerdown", function (e) {
      canvas.focus();
      if (!controlling()) return;
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      pointerButton(e, true);
    });
    canvas.addEventListener("pointerup", function (e) { if (controlling()) { e.preventDefault(); pointerButton(e, false); } });
    canvas.addEventListener("pointermove", function (e) {
      if (!controlling()) return;
      pendingMove = screenPoint(e);
      if (!moveScheduled) { moveScheduled = true; requestAnimationFrame(sendMove); }
    });
    canvas.addEventListener("contextmenu", function (e) { if (controlling()) e.preventDefault(); });
    canvas.addEventListener("wheel", function (e) {
      if (!controlling()) return;
      e.preventDefault();
      var b = new Uint8Array(4);
      put16(b, 0, Math.sign(e.deltaX) & 0xffff);
      put16(b, 2, Math.sign(e.deltaY) & 0xffff);
      screenChannel.send(0x7a, b);
    }, { passive: false });
    canvas.addEventListener("keydown", function (e) {
      if (!controlling() || !keyboardHeld) return; // viewing only: keys (Escape, Tab) work as usual
      // Ctrl+Alt+Shift gives the keyboard back without the mouse.
      if (e.ctrlKey && e.altKey && e.shiftKey && /^(Shift|Control|Alt)/.test(e.key)) {
        e.preventDefault();
        releaseKeyboard();
        return;
      }
      e.preventDefault();
      var sym = keysym(e);
      if (!sym) return;
      pressedKeys[e.code || e.key] = sym;
      sendKey(sym, true);
    });
    canvas.addEventListener("keyup", function (e) {
      if (!controlling()) return;
      e.preventDefault();
      var id = e.code || e.key;
      var sym = pressedKeys[id] || keysym(e);
      delete pressedKeys[id];
      if (sym) sendKey(sym, false);
    });
  }

  // ---- start ----

  $("cancel").addEventListener("click", function () { send({ type: "cancel" }); });
  $("end-session").addEventListener("click", function () { send({ type: "end" }); });
  $("reconnect").addEventListener("click", function () {
    shown = {};
    termChannel = null; filesChannel = null; tasksChannel = null; clipChannel = null; screenChannel = null;
    screenWanted = false;
    connect();
  });
  window.addEventListener("beforeunload", function () { if (ws && state !== "ended") send({ type: "end" }); });

  setState(root.getAttribute("data-online") === "true" ? "connecting" : "offline");
  if (root.getAttribute("data-online") === "true") connect();
  window.PorticoSession = { state: function () { return state; }, actions: function () { return actions.slice(); } };
})();
