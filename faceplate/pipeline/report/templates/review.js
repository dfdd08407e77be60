(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("shot-data").textContent);
  var frames = data.frames;
  var count = frames.length;
  var indexOf = {};
  frames.forEach(function (f, i) { indexOf[f.frame] = i; });
  var flagged = [];
  frames.forEach(function (f, i) { if (f.flags.length) { flagged.push(i); } });
  var state = { cur: 0, which: "result", timer: null, markIn: null, markOut: null, loop: false };
  var $ = function (id) { return document.getElementById(id); };
  var img = $("fb-img"), cells = document.querySelectorAll("#fb-strip .cell");
  var infos = document.querySelectorAll(".info[data-frame]");
  var crops = document.querySelectorAll(".crops[data-frame]");
  var preloaded = {};

  function preload(i) {
    var f = frames[i];
    if (!f) { return; }
    ["plate", "result"].forEach(function (k) {
      var src = f.proxies[k];
      if (src && !preloaded[src]) { preloaded[src] = new Image(); preloaded[src].src = src; }
    });
  }

  function showOnly(list, frame) {
    var shown = null;
    Array.prototype.forEach.call(list, function (el) {
      var on = el.getAttribute("data-frame") === String(frame);
      el.hidden = !on;
      if (on) { shown = el; }
    });
    return shown;
  }

  function update() {
    var f = frames[state.cur];
    var src = f.proxies[state.which];
    $("fb-missing").hidden = !!src;
    img.hidden = !src;
    if (src) { img.src = src; img.alt = "frame " + f.frame + " " + state.which; }
    $("fb-frame").textContent = f.frame;
    $("fb-kind").textContent = state.which;
    var status = $("fb-status");
    status.textContent = f.status + (f.flags.length ? " · " + f.flags.join(", ") : "");
    status.className = f.flags.length ? "flagged" : "";
    $("fb-readout").textContent = (state.cur + 1) + " / " + count +
      (state.markIn !== null || state.markOut !== null ?
        "  marks " + frames[markStart()].frame + "–" + frames[markEnd()].frame : "");
    Array.prototype.forEach.call(cells, function (c, i) { c.classList.toggle("current", i === state.cur); });
    var info = showOnly(infos, f.frame);
    $("info-plain").hidden = !!info;
    if (!info) {
      $("plain-frame").textContent = f.frame;
      $("plain-status").textContent = f.status;
      var plain = $("plain-decisions");
      plain.textContent = "";
      (f.session || []).forEach(function (d) { plain.appendChild(decisionItem(d)); });
    }
    var crop = showOnly(crops, f.crops_of);
    $("no-crops").hidden = !!crop;
    document.querySelectorAll("tr.current, .chips a.current").forEach(function (r) { r.classList.remove("current"); });
    document.querySelectorAll('.chips a[data-frame="' + f.frame + '"]').forEach(function (a) { a.classList.add("current"); });
    var row = $("frame-" + f.frame);
    if (row) { row.classList.add("current"); }
    document.body.setAttribute("data-frame", f.frame);
    var field = $("decide-frames");
    if (field && document.activeElement !== field) { field.value = f.frame; }
    if (history.replaceState) { history.replaceState(null, "", "#f" + f.frame); }
    preload(state.cur + 1); preload(state.cur + 2);
  }

  function go(i) { state.cur = Math.max(0, Math.min(count - 1, i)); update(); }
  function goFrame(frame) { if (indexOf[frame] !== undefined) { go(indexOf[frame]); } }
  function markStart() { return state.markIn === null ? 0 : state.markIn; }
  function markEnd() { return state.markOut === null ? count - 1 : state.markOut; }
  function range() {
    if (state.loop) { return [Math.min(markStart(), markEnd()), Math.max(markStart(), markEnd())]; }
    return [0, count - 1];
  }
  function step(delta) {
    var r = range(), next = state.cur + delta;
    if (state.timer !== null && (next > r[1] || next < r[0])) { next = delta > 0 ? r[0] : r[1]; }
    go(next);
  }
  function nextFlagged(delta) {
    if (!flagged.length) { return; }
    var pick = null;
    if (delta > 0) {
      pick = flagged.filter(function (i) { return i > state.cur; })[0];
      if (pick === undefined) { pick = flagged[0]; }
    } else {
      var before = flagged.filter(function (i) { return i < state.cur; });
      pick = before.length ? before[before.length - 1] : flagged[flagged.length - 1];
    }
    go(pick);
  }
  function play() {
    if (state.timer !== null) {
      clearInterval(state.timer); state.timer = null;
    } else {
      var r = range();
      if (state.cur < r[0] || state.cur > r[1]) { go(r[0]); }
      state.timer = setInterval(function () { step(1); }, 1000 / (data.rate || 24));
    }
    $("fb-play").textContent = state.timer === null ? "play" : "pause";
    document.body.classList.toggle("playing", state.timer !== null);
  }
  function drawMarks() {
    var box = $("fb-marks");
    if (state.markIn === null && state.markOut === null) { box.hidden = true; return; }
    var a = Math.min(markStart(), markEnd()), b = Math.max(markStart(), markEnd());
    box.hidden = false;
    box.style.left = (100 * a / count) + "%";
    box.style.width = (100 * (b - a + 1) / count) + "%";
  }
  function toggleZoom() {
    var on = document.body.classList.toggle("x2");
    document.querySelectorAll(".zoom-label").forEach(function (e) { e.textContent = on ? "2:1" : "1:1"; });
    document.querySelectorAll(".zoom-toggle").forEach(function (e) { e.textContent = on ? "1:1" : "2:1"; });
  }

  var actions = {
    ".": function () { step(1); }, "ArrowRight": function () { step(1); },
    ",": function () { step(-1); }, "ArrowLeft": function () { step(-1); },
    "n": function () { nextFlagged(1); }, "p": function () { nextFlagged(-1); },
    " ": play, "Home": function () { go(0); }, "End": function () { go(count - 1); },
    "i": function () { state.markIn = state.cur; drawMarks(); update(); },
    "o": function () { state.markOut = state.cur; drawMarks(); update(); },
    "c": function () { state.markIn = state.markOut = null; drawMarks(); update(); },
    "l": function () {
      state.loop = !state.loop;
      $("fb-loop").setAttribute("aria-pressed", String(state.loop));
    },
    "t": function () {
      state.which = state.which === "result" ? "plate" : "result";
      $("fb-which").textContent = state.which;
      update();
    },
    "z": toggleZoom
  };

  document.addEventListener("keydown", function (e) {
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var act = actions[e.key];
    if (act) { e.preventDefault(); act(); }
  });
  document.querySelectorAll("button[data-key]").forEach(function (b) {
    b.addEventListener("click", function () { actions[b.getAttribute("data-key")](); b.blur(); });
  });
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-frame]");
    if (link) {
      e.preventDefault();
      goFrame(Number(link.getAttribute("data-frame")));
      if (!link.closest(".panel")) { document.querySelector(".review").scrollIntoView({ block: "start" }); }
    }
  });
  var strip = $("fb-strip");
  function fromStrip(e) {
    var r = strip.getBoundingClientRect();
    go(Math.floor((e.clientX - r.left) / r.width * count));
  }
  strip.addEventListener("pointerdown", function (e) { strip.setPointerCapture(e.pointerId); fromStrip(e); });
  strip.addEventListener("pointermove", function (e) { if (e.buttons & 1) { fromStrip(e); } });

  document.querySelectorAll(".wipe-figure").forEach(function (fig) {
    var wipe = fig.querySelector(".wipe"), slider = fig.querySelector(".wipe-pos");
    function set(pos) {
      pos = Math.max(0, Math.min(100, pos));
      wipe.style.setProperty("--pos", pos + "%");
      slider.value = String(Math.round(pos));
    }
    slider.addEventListener("input", function () { set(Number(slider.value)); });
    function fromPointer(e) {
      var r = wipe.getBoundingClientRect();
      set((e.clientX - r.left) / r.width * 100);
    }
    wipe.addEventListener("pointerdown", function (e) { wipe.setPointerCapture(e.pointerId); fromPointer(e); });
    wipe.addEventListener("pointermove", function (e) { if (e.buttons & 1) { fromPointer(e); } });
  });

  // Decisions: only when `faceplate review serve` serves the page (it fills in the session).
  var meta = document.querySelector('meta[name="faceplate-session"]');
  var session = null;
  try { session = meta && meta.content ? JSON.parse(meta.content) : null; } catch (err) { session = null; }
  if (session && session.token) {
    document.body.classList.add("served");
    document.querySelectorAll(".served-only").forEach(function (e) { e.hidden = false; });
    $("mode-static").hidden = true;
    var form = $("decide"), out = $("decide-status");
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.querySelectorAll("button[data-action]").forEach(function (b) {
      b.addEventListener("click", function () {
        var action = b.getAttribute("data-action");
        var body = { frames: $("decide-frames").value.trim(), action: action };
        if (action === "hold") { body.hold = $("decide-hold").value.trim(); }
        if (action === "set") { body.set = $("decide-set").value.trim(); }
        out.className = ""; out.textContent = "sending…";
        fetch("/api/mark", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-Faceplate-Token": session.token },
          body: JSON.stringify(body)
        }).then(function (r) {
          return r.json().then(function (j) { return { ok: r.ok, body: j }; });
        }).then(function (res) {
          if (!res.ok) { throw new Error(res.body.error || "refused"); }
          out.className = "done";
          out.textContent = res.body.line + (res.body.hint ? " · " + res.body.hint : "");
          recordDecision(res.body.decision);
        }).catch(function (err) {
          out.className = "error"; out.textContent = String(err.message || err);
        });
      });
    });
  }

  function decisionItem(d) {
    var li = document.createElement("li");
    var what = document.createElement("b");
    what.textContent = d.what;
    li.appendChild(what);
    li.appendChild(document.createTextNode(" " + d.who_when + " "));
    var st = document.createElement("span");
    st.className = "state";
    st.textContent = d.state;
    li.appendChild(st);
    return li;
  }

  function recordDecision(d) {
    d.covers.forEach(function (frame) {
      var i = indexOf[frame];
      if (i === undefined) { return; }
      frames[i].decided.push(d.action);
      (frames[i].session = frames[i].session || []).push(d);
      cells[i].classList.add("decided");
      var list = document.querySelector('.info[data-frame="' + frame + '"] .decisions');
      if (!list) { return; }
      var none = list.querySelector(".none");
      if (none) { none.remove(); }
      list.appendChild(decisionItem(d));
    });
    update();
  }

  var start = /^#f(\d+)$/.exec(location.hash);
  if (start && indexOf[Number(start[1])] !== undefined) {
    go(indexOf[Number(start[1])]);
  } else {
    go(flagged.length ? flagged[0] : 0);
  }
}());
