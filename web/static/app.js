// exporthub web UI behaviour: tabs, notification bell, plugin run dialog
// (Config JSON check, run, live logs), copy buttons, live plugin instances,
// the project form and the import of annotations.
// Vanilla JS, no build step. Every text from the server is inserted with
// textContent, never as HTML.
"use strict";

(function () {
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.content : "";

  // ---- Config JSON check -------------------------------------------------

  // checkConfigJSON checks that text is one JSON object. It returns null
  // when it is (an empty text counts as {}), else {line, column, message}
  // locating the first error. Lines and columns start at 1.
  function checkConfigJSON(text) {
    var i = 0;
    var n = text.length;
    var maxDepth = 10000; // as Go's encoding/json

    function Fail(message, at) {
      this.message = message;
      this.at = at;
    }
    function fail(message, at) {
      if (at === undefined) {
        at = i;
      }
      if (at >= n) {
        message = "unexpected end of input, " + message;
      }
      throw new Fail(message, Math.min(at, n));
    }
    function skipSpace() {
      while (i < n) {
        var c = text.charCodeAt(i);
        if (c === 32 || c === 9 || c === 10 || c === 13) {
          i++;
        } else {
          return;
        }
      }
    }
    function digits() {
      var start = i;
      while (i < n && text[i] >= "0" && text[i] <= "9") {
        i++;
      }
      return i - start;
    }
    function parseNumber() {
      var start = i;
      if (text[i] === "-") {
        i++;
      }
      if (text[i] === "0") {
        i++;
      } else if (digits() === 0) {
        fail("invalid number: expected a digit");
      }
      if (text[i] === ".") {
        i++;
        if (digits() === 0) {
          fail("invalid number: expected a digit after '.'");
        }
      }
      if (text[i] === "e" || text[i] === "E") {
        i++;
        if (text[i] === "+" || text[i] === "-") {
          i++;
        }
        if (digits() === 0) {
          fail("invalid number: expected a digit in the exponent");
        }
      }
      if (i < n && /[0-9A-Za-z_.]/.test(text[i])) {
        fail("invalid number", start);
      }
    }
    function parseString() {
      var start = i;
      i++; // opening quote
      for (;;) {
        if (i >= n) {
          fail("string is not closed: expected '\"'", n);
        }
        var c = text.charCodeAt(i);
        if (c === 34) {
          i++;
          return;
        }
        if (c === 92) {
          i++;
          var e = text[i];
          if (e !== undefined && '"\\/bfnrt'.indexOf(e) >= 0) {
            i++;
          } else if (e === "u") {
            i++;
            if (!/^[0-9A-Fa-f]{4}$/.test(text.substr(i, 4))) {
              fail("invalid \\u escape: expected 4 hex digits");
            }
            i += 4;
          } else {
            fail("invalid escape '\\" + (e === undefined ? "" : e) + "' in string", i - 1);
          }
        } else if (c < 32) {
          fail(c === 10 ? "string is not closed before the end of the line: expected '\"'" : "control character in string: write it as an escape", i);
        } else {
          i++;
        }
      }
      return start;
    }
    function parseWord(word) {
      if (text.substr(i, word.length) === word && !/[0-9A-Za-z_]/.test(text[i + word.length] || "")) {
        i += word.length;
        return true;
      }
      return false;
    }
    function parseValue(depth) {
      skipSpace();
      if (i >= n) {
        fail("expected a value");
      }
      var c = text[i];
      if ((c === "{" || c === "[") && depth >= maxDepth) {
        fail("nested deeper than " + maxDepth + " levels");
      }
      if (c === "{") {
        parseObject(depth + 1);
      } else if (c === "[") {
        parseArray(depth + 1);
      } else if (c === '"') {
        parseString();
      } else if (c === "-" || (c >= "0" && c <= "9")) {
        parseNumber();
      } else if (c === "'") {
        fail("expected a value: strings use double quotes");
      } else if (!(parseWord("true") || parseWord("false") || parseWord("null"))) {
        fail("expected a value");
      }
    }
    function parseObject(depth) {
      i++; // {
      skipSpace();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') {
          fail(text[i] === "'" ? "expected a key in double quotes" : "expected a key in double quotes or '}'");
        }
        parseString();
        skipSpace();
        if (text[i] !== ":") {
          fail("expected ':'");
        }
        i++;
        parseValue(depth);
        if (afterElem("}", "a key")) {
          return;
        }
      }
    }
    // afterElem consumes what follows an element of an object or array
    // closed by end: a ',' before the next element (false) or end (true);
    // a ',' right before end is a trailing comma, want says what should
    // have followed it.
    function afterElem(end, want) {
      skipSpace();
      if (text[i] === ",") {
        var comma = i;
        i++;
        skipSpace();
        if (text[i] === end) {
          fail("trailing comma: expected " + want + " after ','", comma);
        }
        return false;
      }
      if (text[i] === end) {
        i++;
        return true;
      }
      fail("expected ',' or '" + end + "'");
    }
    function parseArray(depth) {
      i++; // [
      skipSpace();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        parseValue(depth);
        if (afterElem("]", "a value")) {
          return;
        }
      }
    }

    try {
      skipSpace();
      if (i >= n) {
        return null;
      }
      if (text[i] !== "{") {
        fail("expected '{': the config is a JSON object");
      }
      parseObject(1);
      skipSpace();
      if (i < n) {
        fail("unexpected text after the closing '}'");
      }
      return null;
    } catch (err) {
      if (err instanceof RangeError) {
        // The browser's call stack ran out before maxDepth.
        return { line: 1, column: 1, message: "nested too deeply" };
      }
      if (!(err instanceof Fail)) {
        throw err;
      }
      var line = 1;
      var lineStart = 0;
      for (var k = 0; k < err.at; k++) {
        if (text.charCodeAt(k) === 10) {
          line++;
          lineStart = k + 1;
        }
      }
      return { line: line, column: err.at - lineStart + 1, message: err.message };
    }
  }
  window.exporthubCheckConfigJSON = checkConfigJSON;

  function configErrorText(err) {
    return "Config JSON: line " + err.line + ", column " + err.column + ": " + err.message;
  }

  // ---- small helpers -----------------------------------------------------

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "className") {
          e.className = attrs[k];
        } else {
          e.setAttribute(k, attrs[k]);
        }
      });
    }
    if (text !== undefined && text !== null) {
      e.textContent = text;
    }
    return e;
  }

  // sendJSON sends body as JSON with method; it resolves with the answer
  // and rejects with an Error holding the hub's message (and its answer
  // in e.data).
  function sendJSON(method, url, body) {
    return answerOf(fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken, Accept: "application/json" },
      body: JSON.stringify(body || {}),
    }));
  }

  function postJSON(url, body) {
    return sendJSON("POST", url, body);
  }

  // answerOf reads the JSON answer of a fetch.
  function answerOf(request) {
    return request.then(function (resp) {
      return resp.json().catch(function () {
        return { message: "the hub answered " + resp.status + " " + resp.statusText };
      }).then(function (data) {
        if (!resp.ok) {
          var e = new Error(data.message || "the hub answered " + resp.status);
          e.data = data;
          throw e;
        }
        return data;
      });
    });
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  // formatTime writes a time as the server does: "2006-01-02 15:04 UTC",
  // or with seconds when withSeconds is true.
  function formatTime(iso, withSeconds) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) {
      return iso || "";
    }
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + (withSeconds ? ":" + pad(d.getUTCSeconds()) : "") + " UTC";
  }

  // formatClock writes the time of day of a log line, UTC: "15:04:05".
  function formatClock(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? "" : pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }

  function formatSize(n) {
    if (n === undefined || n === null) {
      return "";
    }
    var units = ["B", "KiB", "MiB", "GiB", "TiB"]; // as internal/bytesize
    var u = 0;
    var v = n;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return (u === 0 ? String(v) : v.toFixed(1)) + " " + units[u];
  }

  // ---- tabs: arrow keys move between tabs (links) ----------------------

  document.querySelectorAll('[role="tablist"]').forEach(function (list) {
    var tabs = Array.prototype.slice.call(list.querySelectorAll('[role="tab"]'));
    list.addEventListener("keydown", function (ev) {
      var idx = tabs.indexOf(document.activeElement);
      if (idx < 0) {
        return;
      }
      var next = -1;
      if (ev.key === "ArrowRight") {
        next = (idx + 1) % tabs.length;
      } else if (ev.key === "ArrowLeft") {
        next = (idx - 1 + tabs.length) % tabs.length;
      } else if (ev.key === "Home") {
        next = 0;
      } else if (ev.key === "End") {
        next = tabs.length - 1;
      } else if (ev.key === " ") {
        ev.preventDefault();
        tabs[idx].click();
        return;
      }
      if (next >= 0) {
        ev.preventDefault();
        tabs.forEach(function (t, j) {
          t.tabIndex = j === next ? 0 : -1;
        });
        tabs[next].focus();
      }
    });
  });

  // ---- confirmation on destructive forms --------------------------------

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        ev.preventDefault();
      }
    });
  });

  // ---- storage form: the credentials of the chosen provider ---------------

  var provider = document.getElementById("s-provider");
  if (provider) {
    var showProvider = function () {
      document.querySelectorAll("fieldset[data-provider]").forEach(function (fs) {
        fs.hidden = fs.getAttribute("data-provider") !== provider.value;
      });
    };
    provider.addEventListener("change", showProvider);
    showProvider();
  }

  // ---- copy buttons ------------------------------------------------------

  // copyFrom copies the text of the element btn's data-copy selects and
  // says so in the element its aria-describedby names, if any.
  function copyFrom(btn) {
    var src = document.querySelector(btn.getAttribute("data-copy"));
    var status = document.getElementById(btn.getAttribute("aria-describedby") || "");
    if (!src) {
      return;
    }
    var text = src.textContent.trim();
    var done = function (ok) {
      if (status) {
        status.textContent = ok ? "Copied." : "Copy failed: select the text and copy it.";
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
    } else {
      var range = document.createRange();
      range.selectNodeContents(src);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      done(ok);
    }
  }

  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      copyFrom(btn);
    });
  });

  // ---- live JSON check on config textareas outside the dialog -----------

  document.querySelectorAll("textarea[data-config-json]").forEach(function (ta) {
    var msg = document.getElementById(ta.getAttribute("data-config-json"));
    var form = ta.form;
    var submit = form ? form.querySelector('button[type="submit"]') : null;
    var check = function () {
      var err = checkConfigJSON(ta.value);
      ta.setAttribute("aria-invalid", err ? "true" : "false");
      if (msg) {
        msg.textContent = err ? configErrorText(err) : "";
        msg.hidden = !err;
      }
      if (submit) {
        submit.disabled = !!err;
      }
    };
    ta.addEventListener("input", check);
    check();
  });

  // ---- notification bell -----------------------------------------------

  var bell = document.querySelector("[data-bell]");
  if (bell) {
    setupBell(bell);
  }

  function setupBell(root) {
    var button = root.querySelector(".bell-button");
    var panel = root.querySelector(".bell-panel");
    var count = root.querySelector(".badge");
    var list = root.querySelector(".bell-list");
    var label = root.querySelector("[data-bell-label]");
    var markAll = root.querySelector("[data-mark-all]");
    var streamURL = root.getAttribute("data-stream-url");
    var listURL = root.getAttribute("data-list-url");
    var readURL = root.getAttribute("data-read-url");

    function open(show) {
      panel.hidden = !show;
      button.setAttribute("aria-expanded", show ? "true" : "false");
    }
    button.addEventListener("click", function () {
      open(panel.hidden);
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && !panel.hidden) {
        open(false);
        button.focus();
      }
    });
    document.addEventListener("click", function (ev) {
      if (!panel.hidden && !root.contains(ev.target)) {
        open(false);
      }
    });

    function render(data) {
      var unread = data.unread || 0;
      count.textContent = String(unread);
      count.hidden = unread === 0;
      label.textContent = unread === 1 ? "Notifications, 1 unread" : "Notifications, " + unread + " unread";
      markAll.hidden = unread === 0;
      list.textContent = "";
      var items = data.items || [];
      if (items.length === 0) {
        list.appendChild(el("li", { className: "empty" }, "No notifications yet."));
        return;
      }
      items.forEach(function (n) {
        var li = el("li", { className: n.read ? "" : "unread", "data-id": n.id });
        var title = el("strong", null, n.title);
        li.appendChild(title);
        if (n.downloadUrl) {
          li.appendChild(document.createTextNode(" \u2014 "));
          li.appendChild(el("a", { href: n.downloadUrl, download: "" }, "Download"));
        }
        if (n.body) {
          li.appendChild(el("div", null, n.body));
        }
        if (n.action) {
          li.appendChild(el("div", { className: "action" }, n.action));
        }
        if (n.startCommand) {
          var cmdID = "bell-cmd-" + n.id;
          var pre = el("pre", { className: "start-command" });
          pre.appendChild(el("code", { id: cmdID }, n.startCommand));
          li.appendChild(pre);
          li.appendChild(el("button", { type: "button", "data-copy": "#" + cmdID, "aria-describedby": cmdID + "-status" }, "Copy"));
          li.appendChild(el("span", { id: cmdID + "-status", className: "copy-status", "aria-live": "polite" }));
        }
        li.appendChild(el("span", { className: "when" }, formatTime(n.createdAt)));
        if (n.runUrl) {
          li.appendChild(el("a", { className: "run-link", href: n.runUrl }, "View run"));
        }
        if (!n.read) {
          var b = el("button", { type: "button", className: "link", "data-read": n.id }, "Mark as read");
          li.appendChild(b);
        }
        list.appendChild(li);
      });
    }

    list.addEventListener("click", function (ev) {
      if (ev.target.getAttribute && ev.target.getAttribute("data-copy")) {
        copyFrom(ev.target);
        return;
      }
      var id = ev.target.getAttribute && ev.target.getAttribute("data-read");
      if (id) {
        postJSON(readURL, { ids: [id] }).then(render, function () {});
      }
    });
    markAll.addEventListener("click", function () {
      postJSON(readURL, { all: true }).then(render, function () {});
    });

    // Live updates: server-sent events; when the stream cannot be used,
    // poll the list every few seconds instead.
    var pollTimer = null;
    function poll() {
      fetch(listURL, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d) { render(d); } }, function () {});
    }
    function startPolling() {
      if (!pollTimer) {
        pollTimer = window.setInterval(poll, 5000);
      }
    }
    if (window.EventSource) {
      var es = new EventSource(streamURL);
      es.addEventListener("notifications", function (ev) {
        render(JSON.parse(ev.data));
      });
      es.addEventListener("error", function () {
        if (es.readyState === EventSource.CLOSED) {
          startPolling();
        }
      });
    } else {
      startPolling();
    }
  }

  // ---- run view: status, live logs, result, Cancel ----------------------

  // activeStatuses are the states in which a run can be cancelled.
  var activeStatuses = { queued: true, dispatched: true, running: true };

  // resultSentence words how a run that did not succeed ended.
  function resultSentence(status, message) {
    var how = {
      failed: "The run failed",
      timed_out: "The run timed out",
      lost: "The run was lost",
      cancelled: "The run was cancelled",
    }[status] || "The run ended (" + status.replace(/_/g, " ") + ")";
    return how + ": " + (message || "no message from the plugin") + ".";
  }

  // runView follows one run inside root: its .run-status, .log and
  // .result elements, a [data-cancel] button shown while the run can be
  // cancelled and a .cancel-error line. onEnd is called when the run is
  // over.
  function runView(root, onEnd) {
    var statusEl = root.querySelector(".run-status");
    var logEl = root.querySelector(".log");
    var resultEl = root.querySelector(".result");
    var cancelBtn = root.querySelector("[data-cancel]");
    var cancelErr = root.querySelector(".cancel-error");
    var lastError = "";
    var current = null;
    var es = null;

    function setStatus(s, message) {
      statusEl.textContent = s.replace(/_/g, " ");
      statusEl.className = "run-status status status-" + s;
      if (message) {
        statusEl.textContent += " \u2014 " + message;
      }
      if (cancelBtn) {
        var active = !!activeStatuses[s] && !!current;
        cancelBtn.hidden = !active;
        if (active && cancelBtn.getAttribute("aria-busy") !== "true") {
          cancelBtn.disabled = false;
        }
      }
    }
    function showResult(data) {
      resultEl.hidden = false;
      resultEl.textContent = "";
      window.setTimeout(function () { resultEl.scrollIntoView({ block: "nearest" }); }, 0);
      if (data.status === "succeeded" && data.export) {
        resultEl.className = "result ok";
        resultEl.appendChild(el("p", null, "Export ready: " + data.export.fileName + " (" + formatSize(data.export.size) + ")."));
        var a = el("a", { className: "button primary", href: data.export.downloadUrl, download: "", "data-download": "" }, "Download");
        resultEl.appendChild(a);
        a.focus();
      } else {
        resultEl.className = "result fail";
        resultEl.setAttribute("role", "alert");
        resultEl.appendChild(el("p", null, resultSentence(data.status, data.message)));
        if (lastError) {
          resultEl.appendChild(el("p", { className: "plugin-error" }, "Last error from the plugin: " + lastError));
        }
      }
    }
    function appendLog(line) {
      var text = line.msg;
      var extra = line.extra && typeof line.extra === "object" ? line.extra : {};
      Object.keys(extra).forEach(function (k) {
        var v = extra[k];
        text += " " + k + "=" + (typeof v === "string" ? v : JSON.stringify(v));
      });
      // The hub's own notes (source=hub) are not the plugin's errors:
      // their text is the run's message, shown in the result already.
      if (line.level === "ERROR" && extra.source !== "hub") {
        lastError = typeof extra.error === "string" ? extra.error : line.msg;
      }
      var row = el("div", { className: "lvl-" + line.level });
      row.textContent = formatClock(line.time) + " " + line.level + " " + text;
      logEl.appendChild(row);
      logEl.scrollTop = logEl.scrollHeight;
    }
    function showCancelError(text) {
      if (cancelErr) {
        cancelErr.textContent = text;
        cancelErr.hidden = !text;
      }
    }

    if (cancelBtn) {
      cancelBtn.addEventListener("click", function () {
        if (!current) {
          return;
        }
        cancelBtn.disabled = true;
        cancelBtn.setAttribute("aria-busy", "true");
        showCancelError("");
        postJSON(current.cancelUrl, {}).then(function (run) {
          // The event stream brings the end with its message; show the
          // new status at once.
          cancelBtn.removeAttribute("aria-busy");
          setStatus(run.status, run.message);
        }, function (err) {
          cancelBtn.removeAttribute("aria-busy");
          cancelBtn.disabled = false;
          showCancelError("The run could not be cancelled: " + err.message);
        });
      });
    }

    return {
      // reset clears the view for a new run.
      reset: function () {
        if (es) {
          es.close();
          es = null;
        }
        current = null;
        logEl.textContent = "";
        lastError = "";
        resultEl.hidden = true;
        resultEl.removeAttribute("role");
        showCancelError("");
        if (cancelBtn) {
          cancelBtn.hidden = true;
        }
      },
      setStatus: setStatus,
      // follow shows run ({status, message, eventsUrl, cancelUrl}) and
      // its events until it ends.
      follow: function (run) {
        current = run;
        setStatus(run.status, run.message);
        es = new EventSource(run.eventsUrl);
        es.addEventListener("status", function (ev) {
          var d = JSON.parse(ev.data);
          setStatus(d.status, d.final ? "" : d.message);
        });
        es.addEventListener("log", function (ev) {
          appendLog(JSON.parse(ev.data));
        });
        es.addEventListener("end", function (ev) {
          es.close();
          es = null;
          var d = JSON.parse(ev.data);
          current = null;
          setStatus(d.status);
          showResult(d);
          if (onEnd) {
            onEnd(d);
          }
        });
      },
    };
  }

  // ---- plugin dialog: config check, run, live logs -----------------------

  document.querySelectorAll("[data-dialog-open]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var dlg = document.getElementById(btn.getAttribute("data-dialog-open"));
      if (dlg) {
        if (dlg.hasAttribute("data-run-url")) {
          setupRunDialog(dlg);
        }
        dlg.showModal();
      }
    });
  });
  document.querySelectorAll("dialog [data-dialog-close]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      btn.closest("dialog").close();
    });
  });

  function setupRunDialog(dlg) {
    if (dlg.dataset.ready) {
      return;
    }
    dlg.dataset.ready = "1";
    var ta = dlg.querySelector("textarea");
    var msg = dlg.querySelector(".config-error");
    var runBtn = dlg.querySelector("[data-run]");
    var retries = dlg.querySelector("input[name=retries]");
    var panel = dlg.querySelector(".run-panel");
    var statusEl = dlg.querySelector(".run-status");
    var resultEl = dlg.querySelector(".result");
    var running = false;
    var configOK = true;
    var view = runView(dlg, function () {
      running = false;
      updateRunButton();
    });

    function updateRunButton() {
      // An offline plugin (no instance connected) cannot run.
      runBtn.disabled = running || !configOK || dlg.hasAttribute("data-offline");
    }
    function check() {
      var err = checkConfigJSON(ta.value);
      configOK = !err;
      ta.setAttribute("aria-invalid", err ? "true" : "false");
      msg.textContent = err ? configErrorText(err) : "";
      msg.hidden = !err;
      updateRunButton();
    }
    ta.addEventListener("input", check);
    check();

    runBtn.addEventListener("click", function () {
      check();
      if (!configOK || running) {
        return;
      }
      var checked = function (name) {
        return Array.prototype.map.call(dlg.querySelectorAll("input[name=" + name + "]:checked"), function (c) {
          return c.value;
        });
      };
      var stages = checked("stage");
      var batches = checked("batch");
      function notStarted(message) {
        running = false;
        updateRunButton();
        panel.hidden = false;
        statusEl.textContent = "not started";
        statusEl.className = "run-status status status-failed";
        resultEl.hidden = false;
        resultEl.className = "result fail";
        resultEl.setAttribute("role", "alert");
        resultEl.textContent = "";
        resultEl.appendChild(el("p", null, "The run could not start: " + message));
        resultEl.scrollIntoView({ block: "nearest" });
      }
      var nRetries = 0;
      if (retries && retries.value.trim() !== "") {
        nRetries = Number(retries.value);
        var maxRetries = Number(retries.getAttribute("max"));
        if (!Number.isInteger(nRetries) || nRetries < 0 || nRetries > maxRetries) {
          view.reset();
          notStarted("retries must be a whole number from 0 to " + maxRetries + ", got " + retries.value.trim());
          retries.focus();
          return;
        }
      }
      running = true;
      updateRunButton();
      panel.hidden = false;
      view.reset();
      view.setStatus("queued");
      postJSON(dlg.getAttribute("data-run-url"), {
        configJSON: ta.value,
        stages: stages,
        batches: batches,
        retries: nRetries,
      }).then(function (run) {
        view.follow(run);
      }, function (err) {
        notStarted(err.message);
      });
    });
  }

  // ---- run page: the same view, for a run started earlier ----------------

  document.querySelectorAll("[data-run-page]").forEach(function (root) {
    runView(root).follow({
      status: root.getAttribute("data-run-status"),
      eventsUrl: root.getAttribute("data-events-url"),
      cancelUrl: root.getAttribute("data-cancel-url"),
    });
  });

  // ---- plugin instances, updated live ----------------------------------

  document.querySelectorAll("[data-instances-url]").forEach(function (table) {
    var url = table.getAttribute("data-instances-url");
    var body = table.querySelector("tbody");
    var summary = document.getElementById(table.getAttribute("data-summary"));
    var nodeCol = table.querySelector("[data-node-col]");
    function render(data) {
      var list = data.instances || [];
      // The hub node column shows only with several hub replicas.
      var hasNodes = list.some(function (inst) { return !!inst.node; });
      body.textContent = "";
      if (nodeCol) {
        nodeCol.hidden = !hasNodes;
      }
      if (summary) {
        summary.textContent = list.length === 1 ? "1 instance connected" : list.length + " instances connected";
      }
      if (list.length === 0) {
        var tr = el("tr");
        tr.appendChild(el("td", { colspan: "6", className: "empty" }, "No instance connected. Start your plugin with this ID and secret."));
        body.appendChild(tr);
        return;
      }
      list.forEach(function (inst) {
        var tr = el("tr");
        tr.appendChild(el("td", { className: "mono" }, inst.id));
        tr.appendChild(el("td", null, inst.remoteAddr || ""));
        if (hasNodes) {
          tr.appendChild(el("td", { className: "mono" }, inst.node || ""));
        }
        tr.appendChild(el("td", null, formatTime(inst.connectedAt, true)));
        tr.appendChild(el("td", null, formatTime(inst.lastHeartbeat, true)));
        tr.appendChild(el("td", { className: "num" }, String(inst.runs || 0)));
        body.appendChild(tr);
      });
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d) { render(d); } }, function () {});
    }
    window.setInterval(poll, 3000);
  });
  // ---- project form: new project, Settings → General -------------------

  // A message to show on the next page of this tab, after a reload.
  var nextPageNote = "exporthub-note";

  // parseStages reads the stages field: Ango's stages JSON (a list), or
  // stage names separated by commas or lines. It returns undefined for an
  // empty field and throws an Error for invalid JSON.
  function parseStages(text) {
    text = text.trim();
    if (text === "") {
      return undefined;
    }
    if (text[0] === "[" || text[0] === "{") {
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new Error("Workflow stages are not valid JSON: " + e.message);
      }
    }
    return text.split(/[,\n]/).map(function (s) { return s.trim(); }).filter(function (s) { return s !== ""; });
  }

  document.querySelectorAll("[data-project-form]").forEach(function (form) {
    var method = form.getAttribute("data-method");
    var isNew = method === "POST";
    var errorEl = form.querySelector("[data-form-error]");
    var statusEl = form.querySelector("[data-form-status]");
    var submit = form.querySelector("button[type=submit]");
    var note = window.sessionStorage.getItem(nextPageNote);
    if (note && !isNew) {
      window.sessionStorage.removeItem(nextPageNote);
      statusEl.textContent = note;
    }
    function showError(message) {
      errorEl.textContent = message;
      errorEl.hidden = false;
      errorEl.scrollIntoView({ block: "nearest" });
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      errorEl.hidden = true;
      statusEl.textContent = "";
      var body = {
        name: form.elements.name.value.trim(),
        description: form.elements.description.value,
      };
      if (body.name === "") {
        showError("The project needs a name.");
        form.elements.name.focus();
        return;
      }
      try {
        var stages = parseStages(form.elements.stages.value);
      } catch (e) {
        showError(e.message);
        form.elements.stages.focus();
        return;
      }
      if (stages !== undefined) {
        body.stages = stages;
      } else if (!isNew) {
        body.stages = []; // only the fixed stages Start and Complete
      }
      var batches = form.elements.batches.value.split("\n").map(function (s) { return s.trim(); })
        .filter(function (s) { return s !== ""; });
      if (batches.length > 0 || !isNew) {
        body.batches = batches;
      }
      var schema = form.elements.categorySchema.value.trim();
      if (schema !== "") {
        try {
          body.categorySchema = JSON.parse(schema);
        } catch (e) {
          showError("The category schema is not valid JSON: " + e.message);
          form.elements.categorySchema.focus();
          return;
        }
      } else if (!isNew) {
        body.categorySchema = {};
      }
      submit.disabled = true;
      statusEl.textContent = isNew ? "Creating…" : "Saving…";
      sendJSON(method, form.getAttribute("data-url"), body).then(function (p) {
        if (isNew) {
          window.sessionStorage.setItem(nextPageNote, "Project created.");
          window.location.assign("/projects/" + encodeURIComponent(p.id) + "/settings");
          return;
        }
        window.sessionStorage.setItem(nextPageNote, "Project saved.");
        window.location.reload();
      }, function (err) {
        submit.disabled = false;
        statusEl.textContent = "";
        showError((isNew ? "The project was not created: " : "The project was not saved: ") + err.message);
      });
    });
  });

  // ---- import of annotations: Ango's export zip, JSON or NDJSON ----------

  // importErrorText words one problem of a rejected import.
  function importErrorText(e) {
    var where = [];
    if (e.line) {
      where.push("line " + e.line);
    }
    if (e.index >= 0) {
      where.push("asset " + (e.index + 1));
    }
    if (e.externalId) {
      where.push("externalId " + e.externalId);
    }
    if (e.path) {
      where.push(e.path);
    }
    return (where.length ? where.join(", ") + ": " : "") + e.message;
  }

  document.querySelectorAll("[data-import-form]").forEach(function (form) {
    var fileInput = form.elements.file;
    var result = form.querySelector("[data-import-result]");
    var submit = form.querySelector("button[type=submit]");
    function show(kind, lines, list) {
      result.textContent = "";
      result.className = "import-result flash flash-" + kind;
      result.setAttribute("role", kind === "error" ? "alert" : "status");
      lines.forEach(function (line) {
        result.appendChild(el("p", null, line));
      });
      if (list && list.length) {
        var ul = el("ul");
        list.forEach(function (item) {
          ul.appendChild(el("li", null, item));
        });
        result.appendChild(ul);
      }
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var file = fileInput.files[0];
      if (!file) {
        show("error", ["Choose the file to import: Ango's export zip, or the JSON or NDJSON in it."]);
        fileInput.focus();
        return;
      }
      submit.disabled = true;
      show("ok", ["Importing " + file.name + "…"]);
      var url = form.getAttribute("data-url") + "?mode=" + encodeURIComponent(form.elements.mode.value);
      answerOf(fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": csrfToken, Accept: "application/json" },
        body: file,
      })).then(function (res) {
        submit.disabled = false;
        var lines = ["Imported " + res.imported + (res.imported === 1 ? " asset" : " assets") + " from " + file.name +
          " (" + res.inserted + " new, " + res.updated + " replaced)."];
        if (res.addedStages && res.addedStages.length) {
          lines.push("Stages added to the project: " + res.addedStages.map(function (s) { return s.name || s.id; }).join(", ") + ".");
        }
        if (res.addedBatches && res.addedBatches.length) {
          lines.push("Batches added to the project: " + res.addedBatches.map(function (b) { return b.name; }).join(", ") + ".");
        }
        show("ok", lines);
      }, function (err) {
        submit.disabled = false;
        var list = ((err.data && err.data.errors) || []).map(importErrorText);
        if (err.data && err.data.truncated) {
          list.push("…");
        }
        show("error", ["The import of " + file.name + " failed: " + err.message], list);
      });
    });
  });
})();
