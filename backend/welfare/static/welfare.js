// The welfare pages' script (see backend/welfare/pages.py):
//  - imports page: the file goes to the officer API's own upload route
//    (POST /api/v1/welfare/imports?kind=…&period_id=…&mapping=…) by XMLHttpRequest, so that
//    upload.onprogress drives the progress bar; the session cookie goes along and the CSRF
//    token is sent in X-CSRF-Token. The mapping's lines "Header = field" are sent as JSON.
//    On success, to the import's page (which shows the job's progress); a problem+json answer
//    is shown in the page's status region.
//  - an import's page: console.js polls the progress; when it ends, the page reloads to show
//    the row-by-row report.
(function () {
  "use strict";

  var ctn = window.ctnConsole;

  function say(message, tone) {
    var region = document.getElementById("flash");
    if (!region) return;
    region.innerHTML = "";
    var p = document.createElement("p");
    p.className = "flash " + (tone || "ok");
    p.textContent = message;
    region.appendChild(p);
  }

  function mappingOf(text) {
    var mapping = {};
    var lines = text.split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (!line) continue;
      var at = line.lastIndexOf("=");
      if (at <= 0) return null;
      var header = line.slice(0, at).trim();
      var field = line.slice(at + 1).trim();
      if (!header || !field) return null;
      mapping[header] = field;
    }
    return mapping;
  }

  function setupUpload(form) {
    var input = form.querySelector("#f-file");
    var kind = form.querySelector("#f-kind");
    var period = form.querySelector("#f-period");
    var mappingField = form.querySelector("#f-mapping");
    var box = form.querySelector("#upload-progress");
    var bar = form.querySelector("#upload-progress-bar");
    var text = form.querySelector("#upload-progress-text");
    var button = form.querySelector("#upload-submit");

    function setProgress(percent) {
      ctn.showProgress(bar, text, percent);
    }

    function finish() {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = input.files && input.files.length ? input.files[0] : null;
      if (!file) {
        ctn.flash(form.getAttribute("data-msg-no-file"));
        input.focus();
        return;
      }
      var query = new URLSearchParams();
      query.set("kind", kind.value);
      if (kind.value === "payments") {
        if (!period.value) {
          ctn.flash(form.getAttribute("data-msg-no-period"));
          period.focus();
          return;
        }
        query.set("period_id", period.value);
      }
      var mapping = mappingOf(mappingField.value || "");
      if (mapping === null) {
        ctn.flash(form.getAttribute("data-msg-mapping"));
        mappingField.focus();
        return;
      }
      if (Object.keys(mapping).length) query.set("mapping", JSON.stringify(mapping));
      var data = new FormData();
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") + "?" + query.toString());
      xhr.withCredentials = true;
      xhr.setRequestHeader("X-CSRF-Token", ctn.csrfToken());
      xhr.setRequestHeader("Accept", "application/json, application/problem+json");
      xhr.setRequestHeader("Accept-Language", document.documentElement.lang || "vi");
      xhr.upload.onprogress = function (progress) {
        if (!progress.lengthComputable) return;
        setProgress(Math.floor((progress.loaded / progress.total) * 100));
      };
      xhr.onload = function () {
        if (xhr.status === 202 || xhr.status === 200 || xhr.status === 201) {
          var made = JSON.parse(xhr.responseText);
          setProgress(100);
          window.location.assign(form.getAttribute("data-import-url") + made.id + (made.duplicate ? "?same=true" : ""));
          return;
        }
        finish();
        box.hidden = true;
        ctn.flash(ctn.problemOf(xhr), "bad");
      };
      xhr.onerror = function () {
        finish();
        box.hidden = true;
        ctn.flash(form.getAttribute("data-msg-network"), "bad");
      };
      button.disabled = true;
      form.setAttribute("aria-busy", "true");
      box.hidden = false;
      setProgress(0);
      say(form.getAttribute("data-msg-sending"), "ok");
      xhr.send(data);
    });
  }

  function watchImport(root) {
    // console.js replaces the polled #import-state; once it no longer polls, the import has
    // ended: reload for the row-by-row report.
    if (root.getAttribute("data-final") === "true") return;
    var observer = new MutationObserver(function () {
      var state = document.getElementById("import-state");
      if (!state || state.hasAttribute("data-poll")) return;
      observer.disconnect();
      window.location.reload();
    });
    observer.observe(root, { childList: true });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("welfare-upload");
    if (form) setupUpload(form);
    var watch = document.getElementById("import-watch");
    if (watch) watchImport(watch);
  });
})();
