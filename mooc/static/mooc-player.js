// The lesson page's script (mooc/learning_pages.py): honest progress from the page itself.
//
// Video: the intervals of the video really played are recorded from the element's own clock
// (timeupdate while playing). An interval ends at a seek, a pause, the end, or a jump of the
// clock, so seeking to the end adds only what is then played. The intervals are sent as
// heartbeats (PUT /api/v1/lessons/{id}/progress) every few seconds while playing, on pause,
// at the end and when the page is left (fetch keepalive), with the position to resume at.
// Beats are idempotent and commutative on the server: anything not acknowledged (offline, an
// error) is kept and sent again with the next beat.
//
// Reading: the time the page is visible is sent the same way, as intervals of open time that
// continue from the time already recorded, so a later visit adds to it.
(function () {
  "use strict";

  var root = document.querySelector("[data-mooc-lesson]");
  if (!root || root.dataset.closed === "true") return;

  var lessonId = root.dataset.lessonId;
  var kind = root.dataset.kind;
  var beatMs = (parseInt(root.dataset.beatSeconds, 10) || 15) * 1000;
  var beatMaxMs = parseInt(root.dataset.beatMaxMs, 10) || 60000;
  var url = "/api/v1/lessons/" + lessonId + "/progress";
  var bar = document.getElementById("lesson-progress");
  var barText = root.querySelector("[data-progress-text]");
  var doneRegion = root.querySelector("[data-done-region]");
  var completed = root.dataset.completed === "true";

  var pending = []; // [start, end] intervals not yet acknowledged
  var inFlight = false;
  var position = 0;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)ctn_csrf=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function add(start, end) {
    start = Math.max(0, Math.round(start));
    end = Math.round(end);
    if (end - start >= 1) pending.push([start, end]);
  }

  // The pending intervals merged; a beat takes at most beatMaxMs of them (the server refuses
  // a beat claiming more new time than a beat can carry), the rest waits for the next one.
  function take() {
    pending.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    pending.forEach(function (i) {
      var last = merged[merged.length - 1];
      if (last && i[0] <= last[1]) last[1] = Math.max(last[1], i[1]);
      else merged.push([i[0], i[1]]);
    });
    var out = [], rest = [], total = 0;
    merged.forEach(function (i) {
      var room = beatMaxMs - total;
      if (room <= 0 || out.length >= 40) { rest.push(i); return; }
      if (i[1] - i[0] > room) {
        out.push([i[0], i[0] + room]);
        rest.push([i[0] + room, i[1]]);
        total += room;
      } else {
        out.push(i);
        total += i[1] - i[0];
      }
    });
    pending = rest;
    return out;
  }

  function show(answer) {
    if (bar) bar.value = answer.percent;
    if (bar) bar.textContent = answer.percent + "%";
    if (barText) {
      var label = kind === "video" ? root.dataset.textWatched : root.dataset.textOpen;
      barText.textContent = label + ": " + answer.percent + "%";
    }
    if (answer.completed && !completed) {
      completed = true;
      root.dataset.completed = "true";
      doneRegion.textContent = root.dataset.textDone;
    }
    if (answer.certificate_code || answer.course_completed) {
      var link = document.querySelector("[data-certificates-link]");
      if (link) link.hidden = false;
      if (answer.certificate_code) doneRegion.textContent = root.dataset.textCourseDone;
    }
  }

  // keepalive: the page is being left (the request outlives it); force: send the position
  // even with nothing new watched (a pause, the end).
  function send(keepalive, force) {
    if (inFlight && !keepalive) return;
    var intervals = take();
    if (!intervals.length && !keepalive && !force) return;
    var body = JSON.stringify({
      intervals: intervals,
      position_ms: Math.max(0, Math.round(position)),
      client_at: new Date().toISOString(),
    });
    inFlight = !keepalive;
    var request = fetch(url, {
      method: "PUT",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": csrfToken(),
      },
      body: body,
    });
    request.then(function (response) {
      inFlight = false;
      if (response.ok) {
        return response.json().then(function (answer) {
          show(answer);
          if (pending.length) send(false);
        });
      }
      if (response.status >= 500 || response.status === 429) {
        pending = pending.concat(intervals); // try again with the next beat
      }
      // Other refusals (a closed course, intervals the server cannot accept) are final.
    }).catch(function () {
      inFlight = false;
      pending = pending.concat(intervals);
      if (window.ctnConsole && !navigator.onLine) window.ctnConsole.flash(root.dataset.textOffline, "warn");
    });
  }

  // --- video --------------------------------------------------------------------------------

  function video(element) {
    var duration = parseInt(root.dataset.durationMs, 10) || 0;
    var resume = parseInt(root.dataset.positionMs, 10) || 0;
    var segStart = null; // media ms where the interval being played began
    var last = null; // the media clock at the previous timeupdate
    position = resume;

    function now() { return element.currentTime * 1000; }

    function close() {
      if (segStart !== null && last !== null) add(segStart, last);
      segStart = null;
      last = null;
    }

    function open() {
      segStart = now();
      last = segStart;
    }

    element.addEventListener("loadedmetadata", function () {
      var length = duration || element.duration * 1000;
      if (resume > 0 && resume < length - 3000) element.currentTime = resume / 1000;
    });
    element.addEventListener("playing", function () {
      if (segStart === null) open();
    });
    element.addEventListener("timeupdate", function () {
      position = now();
      if (element.paused || element.seeking || segStart === null) return;
      var t = now();
      // Played continuously: the clock moved forward by about the time a timeupdate takes
      // (at most a few seconds even at 2×). Anything else is a jump: the interval ends there.
      if (t >= last && t - last <= 3000) {
        last = t;
      } else {
        close();
        open();
      }
    });
    element.addEventListener("seeking", function () {
      close(); // what was played before the seek; the clock already shows the target
    });
    element.addEventListener("seeked", function () {
      position = now();
      if (!element.paused) open();
    });
    element.addEventListener("pause", function () {
      if (segStart !== null) {
        var t = now();
        if (t >= last && t - last <= 3000) last = t;
      }
      close();
      position = now();
      send(false, true);
    });
    element.addEventListener("ended", function () {
      if (segStart !== null) {
        var t = now();
        if (t >= last && t - last <= 3000) last = t;
      }
      close();
      position = now();
      send(false, true);
    });

    setInterval(function () {
      if (segStart !== null && last !== null) {
        add(segStart, last);
        segStart = last; // the interval goes on; what was played so far leaves with the beat
      }
      if (pending.length) send(false);
    }, beatMs);

    function leave() {
      if (segStart !== null && last !== null) {
        add(segStart, last);
        segStart = last;
      }
      if (pending.length) send(true);
    }
    window.addEventListener("pagehide", leave);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") leave();
    });
  }

  // --- reading ------------------------------------------------------------------------------

  function reading() {
    var base = parseInt(root.dataset.openMs, 10) || 0; // open time already recorded
    var since = null; // performance.now() when the page last became visible
    var counted = 0; // visible ms counted on this visit before `since`
    var sentUpTo = 0;

    function visibleMs() {
      return counted + (since !== null ? performance.now() - since : 0);
    }

    function cut() {
      var upTo = visibleMs();
      if (upTo > sentUpTo) {
        add(base + sentUpTo, base + upTo);
        sentUpTo = upTo;
      }
    }

    function visibility() {
      if (document.visibilityState === "visible") {
        if (since === null) since = performance.now();
      } else if (since !== null) {
        counted += performance.now() - since;
        since = null;
        cut();
        if (pending.length) send(true);
      }
    }
    visibility();
    document.addEventListener("visibilitychange", visibility);
    setInterval(function () {
      cut();
      if (pending.length) send(false);
    }, beatMs);
    window.addEventListener("pagehide", function () {
      if (since !== null) {
        counted += performance.now() - since;
        since = null;
      }
      cut();
      if (pending.length) send(true);
    });
  }

  if (kind === "video") {
    var element = document.getElementById("mooc-video");
    if (element) video(element);
  } else if (kind === "reading") {
    reading();
  }
})();
