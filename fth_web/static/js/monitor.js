/* fth-web monitor: polls the JSON API and renders panels, status, live run and the table.
 * Vanilla JS, no dependencies, no network access beyond this server. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("fth-config").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var state = {
    paused: false,
    refresh: cfg.refresh.default,
    limit: cfg.rows.default,
    windowMin: cfg.windows[0],
    username: "",
    status: "",
    sortKey: null,
    sortDir: 1,
    rows: [],
    timer: null,
    inFlight: 0,
    generation: 0,
    dbDown: false
  };

  // -- formatting -------------------------------------------------------------------------
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmtBytes(n) {
    if (n === null || n === undefined) return "–";
    var units = ["B", "KB", "MB", "GB", "TB"], i = 0, v = Number(n);
    while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
  }
  function fmtSeconds(s) {
    if (s === null || s === undefined) return "–";
    var v = Number(s);
    if (v < 60) return v.toFixed(1) + " s";
    var m = Math.floor(v / 60);
    return m + " m " + (v - m * 60).toFixed(0) + " s";
  }
  function pad(n, width) { return ("000" + n).slice(-(width || 2)); }
  function localDate(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  // One 24-hour clock for the rows, the last update and the status panel (toLocaleTimeString may be 12-hour).
  function clock(d) { return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }
  function fmtTime(t) {
    if (!t) return "–";
    // "YYYY-MM-DD HH:MM:SS.mmm": the time of today's rows; the date too on rows of another day
    if (t.length <= 11) return t;
    return t.slice(0, 10) === localDate(new Date()) ? t.slice(11) : t.slice(0, 10) + " " + t.slice(11);
  }
  function fmtFigure(f) {
    if (f.value === null || f.value === undefined) return "–";
    return Number(f.value).toFixed(f.decimals === 0 ? 0 : 1);
  }
  function cell(col, row) {
    var v = row[col.key];
    // data-label names the value on a phone, where the rows are cards without the table header
    var td = function (cls, title, html) {
      return '<td class="' + cls + '" data-key="' + esc(col.key) + '" data-label="' + esc(col.label) + '"' +
        (title === null ? "" : ' title="' + esc(title) + '"') + ">" + html + "</td>";
    };
    switch (col.kind) {
      case "bytes": return td("num", v === null ? "" : v + " bytes", esc(fmtBytes(v)));
      case "seconds": return td("num", null, esc(fmtSeconds(v)));
      case "time": return td("time", v || "", esc(fmtTime(v)));
      case "status": return td("status", null, '<span class="pill st-' + esc(v || "NONE") + '">' + esc(v || "–") + "</span>");
      case "uuid": return td("mono", v, esc(String(v).slice(0, 8)) + "…");
      default: return td("text", v === null ? "" : v, esc(v === null ? "–" : v));
    }
  }

  // -- fetching ---------------------------------------------------------------------------
  function busy(delta) {
    state.inFlight += delta;
    var on = state.inFlight > 0;
    $("loading").hidden = !on;
    document.body.classList.toggle("is-loading", on);
  }
  function getJSON(url) {
    busy(1);
    return fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) {
        return r.json().catch(function () { return { error: "HTTP " + r.status }; }).then(function (body) {
          if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
          return body;
        });
      })
      .finally(function () { busy(-1); });
  }
  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k] !== "" && params[k] !== null && params[k] !== undefined) {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
      }
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  function refresh() {
    clearTimeout(state.timer);
    var gen = ++state.generation;
    var jobs = [
      getJSON(cfg.api.transactions + query({ limit: state.limit, username: state.username, status: state.status }))
        .then(renderRows, function (e) { showNotice("Transactions: " + e.message, true); }),
      getJSON(cfg.api.panels + query({ window: state.windowMin })).then(renderPanels, function () {}),
      getJSON(cfg.api.status).then(renderStatus, function (e) { renderStatusError(e); })
    ];
    if (cfg.live) jobs.push(getJSON(cfg.api.live).then(renderLive, function () {}));
    Promise.all(jobs).then(function () {
      if (gen !== state.generation) return;
      $("last-update").textContent = clock(new Date());
      $("last-update").setAttribute("data-updated", new Date().toISOString());
      schedule();
    });
  }
  function schedule() {
    clearTimeout(state.timer);
    if (!state.paused) state.timer = setTimeout(refresh, state.refresh * 1000);
  }

  // -- rendering ----------------------------------------------------------------------------
  function showNotice(text, isError) {
    var box = $("notice");
    if (!text) { box.hidden = true; return; }
    box.hidden = false;
    box.classList.toggle("notice-error", !!isError);
    $("notice-text").textContent = text;
  }

  function renderRows(data) {
    state.rows = data.rows || [];
    document.body.classList.toggle("has-examples", !!data.examples);
    // red only when a database is down, not while the first connection is still being made
    showNotice(data.examples ? "EXAMPLE DATA — " + (data.notice || "no database reachable") : (data.notice || ""),
               !!data.examples && cfg.source === "database" && state.dbDown);
    $("row-count").textContent = state.rows.length + (data.examples ? " example rows" : " rows") + asOf(data);
    drawRows();
  }

  function sortedRows() {
    var rows = state.rows.slice();
    if (!state.sortKey) return rows;
    var key = state.sortKey, dir = state.sortDir;
    rows.sort(function (a, b) {
      var x = a[key], y = b[key];
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * dir;
    });
    return rows;
  }

  function drawRows() {
    var body = $("tx-body");
    var span = cfg.columns.length + (cfg.features.copy ? 1 : 0);
    if (!state.rows.length) {
      body.innerHTML = '<tr class="placeholder"><td colspan="' + span + '">No transactions match.</td></tr>';
      return;
    }
    var html = sortedRows().map(function (row, i) {
      var status = row.status || "NONE";
      var tds = cfg.columns.map(function (c) { return cell(c, row); }).join("");
      if (row.example && cfg.columns.length) {
        tds = tds.replace("</td>", ' <span class="tag-example">EXAMPLE</span></td>');
      }
      if (cfg.features.copy) {
        tds += '<td class="actions"><button type="button" class="btn-icon copy" data-index="' + i +
          '" title="Copy the whole record" aria-label="Copy record"><svg class="icon"><use href="#i-copy"></use></svg></button></td>';
      }
      return '<tr class="row st-' + esc(status) + (row.example ? " is-example" : "") + '" data-status="' + esc(status) + '">' + tds + "</tr>";
    });
    body.innerHTML = html.join("");
    state.shown = sortedRows();
  }

  function renderPanels(data) {
    (data.stages || []).forEach(function (stage) {
      var card = document.querySelector('.stage[data-stage="' + stage.key + '"]');
      if (!card) return;
      card.querySelector("h2").textContent = stage.title;
      card.querySelector(".stage-sub").textContent = stage.subtitle + " · last " + data.window_min + " min" +
        (data.examples ? " · example figures" : "") + asOf(data);
      card.classList.toggle("is-example", !!data.examples);
      card.querySelector(".figures").innerHTML = stage.figures.map(function (f) {
        return '<div class="figure' + (f.status ? " st-" + esc(f.status) : "") + '" title="' + esc(f.hint || "") + '">' +
          '<span class="figure-label">' + esc(f.label) + "</span>" +
          '<span class="figure-value" data-figure="' + esc(f.label) + '">' + esc(fmtFigure(f)) +
          (f.unit ? '<small>' + esc(f.unit) + "</small>" : "") + "</span>" +
          (f.hint && f.status ? '<span class="figure-hint">' + esc(f.hint) + "</span>" : "") + "</div>";
      }).join("");
    });
  }

  // figures computed in the background (the pair layout) say how old they are
  function asOf(data) {
    return data.computed_at && data.age_s >= 1 ? " · computed " + ago(data.computed_at) : "";
  }

  function ago(iso) {
    if (!iso) return "never";
    var s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    var d = new Date(iso), when = clock(d);
    if (s < 60) return when + " (" + s.toFixed(0) + " s ago)";
    if (s < 3600) return when + " (" + (s / 60).toFixed(0) + " min ago)";
    return localDate(d) + " " + when;
  }

  // The header pill follows the connections: green when up, amber while connecting, red when down.
  function setPill(kind, text) {
    var pill = $("source-badge");
    pill.className = "badge badge-" + kind;
    pill.textContent = text;
  }
  function renderStatus(data) {
    var conns = data.connections || [];
    var down = conns.some(function (c) { return c.state === "down"; });
    var connecting = !down && conns.some(function (c) { return c.state === "connecting"; });
    state.dbDown = down;
    $("db-status").classList.toggle("is-down", down);
    $("notice").classList.toggle("notice-error", down && document.body.classList.contains("has-examples"));
    $("db-status").classList.toggle("is-connecting", connecting);
    $("db-summary").textContent = data.source === "mock" ? "mock data generator" :
      (down ? "attention: a database is unavailable" : connecting ? "connecting…" : "all connections healthy");
    if (data.source === "database") {
      if (down) setPill("down", "Database down");
      else if (connecting) setPill("connecting", "Connecting…");
      else setPill("database", "Live database");
    }
    $("connections").innerHTML = conns.map(function (c) {
      var label = { up: "Connected", down: "Unavailable", connecting: "Connecting", idle: "Not used yet",
                    unconfigured: "Not configured" }[c.state] || c.state;
      return '<div class="conn state-' + esc(c.state) + '" data-name="' + esc(c.name) + '" data-state="' + esc(c.state) + '">' +
        '<div class="conn-head"><span class="dot"></span><strong>' + esc(c.name) + '</strong><span class="conn-state">' +
        esc(label) + "</span></div>" +
        '<div class="conn-target mono">' + esc(c.target) + "</div>" +
        '<dl><dt>Last success</dt><dd>' + esc(ago(c.last_success)) + "</dd>" +
        (c.last_error ? "<dt>Last error</dt><dd class=\"err\">" + esc(c.last_error) +
          (c.last_error_at ? " <span class=\"muted\">at " + esc(clock(new Date(c.last_error_at))) + "</span>" : "") + "</dd>" : "") +
        (c.retry_in_s !== null && c.retry_in_s !== undefined ? "<dt>Next attempt</dt><dd>in " + esc(Number(c.retry_in_s).toFixed(1)) + " s</dd>" : "") +
        "</dl></div>";
    }).join("") || '<p class="muted">No database connections.</p>';
  }
  function renderStatusError(e) {
    $("db-status").classList.add("is-down");
    $("db-summary").textContent = "monitor server unreachable: " + e.message;
    setPill("down", "Monitor unreachable");
  }

  function renderLive(data) {
    $("live-elapsed").textContent = "elapsed " + fmtSeconds(data.elapsed_s);
    var jobs = data.jobs || [];
    $("live-body").innerHTML = jobs.map(function (j) {
      var n = function (v, d) { return v === null || v === undefined ? "–" : Number(v).toFixed(d); };
      var behind = j.target_rate_per_s && j.achieved_rate_per_s < 0.9 * j.target_rate_per_s;
      return "<tr><td>" + esc(j.name) + "</td><td>" + esc(j.protocol) + '</td><td class="num">' + n(j.target_rate_per_s, 2) +
        '</td><td class="num' + (behind ? " warn" : "") + '">' + n(j.achieved_rate_per_s, 2) + '</td><td class="num ok">' + n(j.succeeded, 0) +
        '</td><td class="num' + (j.failed ? " bad" : "") + '">' + n(j.failed, 0) + '</td><td class="num' + (j.not_sent ? " warn" : "") + '">' + n(j.not_sent, 0) +
        '</td><td class="num">' + n(j.p95_ms, 1) +
        '</td><td class="num">' + n(j.in_flight, 0) + "</td></tr>";
    }).join("") || '<tr><td colspan="9" class="muted">no jobs</td></tr>';
  }

  // -- copy ---------------------------------------------------------------------------------
  function toast(text) {
    var t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.hidden = true; }, 1800);
  }
  function fallbackCopy(text) {
    var area = $("copy-buffer");
    area.value = text;
    area.select();
    area.setSelectionRange(0, text.length);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.blur();
    return ok;
  }
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; },
        function () { return fallbackCopy(text); });
    }
    return Promise.resolve(fallbackCopy(text));
  }

  // -- controls -------------------------------------------------------------------------------
  function setPaused(paused) {
    state.paused = paused;
    $("pause").setAttribute("aria-pressed", paused ? "true" : "false");
    $("pause-label").textContent = paused ? "Resume" : "Pause";
    $("pause-icon").setAttribute("href", paused ? "#i-play" : "#i-pause");
    document.body.classList.toggle("is-paused", paused);
    if (paused) clearTimeout(state.timer); else refresh();
  }

  function bind() {
    $("pause").addEventListener("click", function () { setPaused(!state.paused); });
    $("refresh-now").addEventListener("click", refresh);
    $("refresh").addEventListener("change", function (e) { state.refresh = Number(e.target.value); schedule(); });
    $("rows").addEventListener("change", function (e) { state.limit = Number(e.target.value); refresh(); });
    Array.prototype.forEach.call(document.querySelectorAll("#windows button"), function (b) {
      b.addEventListener("click", function () {
        Array.prototype.forEach.call(document.querySelectorAll("#windows button"), function (o) { o.classList.remove("active"); });
        b.classList.add("active");
        state.windowMin = Number(b.getAttribute("data-window"));
        refresh();
      });
    });
    if (cfg.features.filtering) {
      var debounce = null;
      $("f-username").addEventListener("input", function (e) {
        clearTimeout(debounce);
        debounce = setTimeout(function () { state.username = e.target.value.trim(); refresh(); }, 300);
      });
      $("f-status").addEventListener("change", function (e) { state.status = e.target.value; refresh(); });
    }
    if (cfg.features.sorting) {
      Array.prototype.forEach.call(document.querySelectorAll("#tx-table th.sortable"), function (th) {
        var sort = function () {
          var key = th.getAttribute("data-key");
          state.sortDir = state.sortKey === key ? -state.sortDir : 1;
          state.sortKey = key;
          Array.prototype.forEach.call(document.querySelectorAll("#tx-table th"), function (o) { o.setAttribute("aria-sort", "none"); });
          th.setAttribute("aria-sort", state.sortDir > 0 ? "ascending" : "descending");
          drawRows();
        };
        th.addEventListener("click", sort);
        th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
      });
    }
    $("tx-body").addEventListener("click", function (e) {
      var btn = e.target.closest("button.copy");
      if (!btn) return;
      var row = (state.shown || [])[Number(btn.getAttribute("data-index"))];
      if (!row) return;
      var record = {};
      Object.keys(row).forEach(function (k) { if (k !== "example") record[k] = row[k]; });
      copyText(JSON.stringify(record, null, 2)).then(function (ok) {
        toast(ok ? "Record copied to the clipboard" : "Copy failed: select the text manually");
        if (ok) { btn.classList.add("copied"); setTimeout(function () { btn.classList.remove("copied"); }, 1200); }
      });
    });
  }

  function loadUsernames() {
    if (!cfg.features.filtering) return;
    getJSON(cfg.api.usernames).then(function (data) {
      $("usernames").innerHTML = (data.usernames || []).map(function (u) {
        return '<option value="' + esc(u) + '"></option>';
      }).join("");
    }, function () {});
  }

  bind();
  refresh();
  loadUsernames();
  setInterval(loadUsernames, 60000);
})();
