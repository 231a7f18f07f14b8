// The media pages' script (see content/media_pages.py):
//  - upload page: drag and drop or the file input; the file goes to the media API's own
//    upload route (POST /api/v1/media?purpose=…) by XMLHttpRequest, so that upload.onprogress
//    drives the progress bar; the session cookie goes along and the CSRF token is sent in
//    X-CSRF-Token. On success, to the asset's page; a problem+json answer is shown in the
//    page's status region.
//  - asset page: when the polled status becomes final, say so in the status region.
(function () {
  "use strict";

  var ctn = window.ctnConsole;

  function say(message, tone) {
    // A status message without moving focus (the region is aria-live).
    var region = document.getElementById("flash");
    if (!region) return;
    region.innerHTML = "";
    var p = document.createElement("p");
    p.className = "flash " + (tone || "ok");
    p.textContent = message;
    region.appendChild(p);
  }

  function setupUpload(form) {
    var input = form.querySelector("#media-file");
    var purpose = form.querySelector("#media-purpose");
    var drop = form.querySelector("#media-drop");
    var chosen = form.querySelector("#media-chosen");
    var box = form.querySelector("#media-progress");
    var bar = form.querySelector("#media-progress-bar");
    var text = form.querySelector("#media-progress-text");
    var button = form.querySelector("#media-submit");
    var dropped = null;

    function showChosen(file) {
      chosen.textContent = file ? form.getAttribute("data-msg-chosen") + " " + file.name : "";
    }

    function currentFile() {
      if (input.files && input.files.length) return input.files[0];
      return dropped;
    }

    input.addEventListener("change", function () {
      dropped = null;
      showChosen(currentFile());
    });
    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (event) {
        event.preventDefault();
        drop.classList.add("over");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      drop.addEventListener(name, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      drop.classList.remove("over");
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      try {
        input.files = files; // keeps the input and what is sent the same
        dropped = null;
      } catch (error) {
        dropped = files[0];
      }
      showChosen(currentFile());
    });

    function setProgress(percent) {
      ctn.showProgress(bar, text, percent);
    }

    function finish() {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = currentFile();
      if (!file) {
        ctn.flash(form.getAttribute("data-msg-no-file"));
        input.focus();
        return;
      }
      var data = new FormData();
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") + "?purpose=" + encodeURIComponent(purpose.value));
      xhr.withCredentials = true;
      xhr.setRequestHeader("X-CSRF-Token", ctn.csrfToken());
      xhr.setRequestHeader("Accept", "application/json, application/problem+json");
      xhr.setRequestHeader("Accept-Language", document.documentElement.lang || "vi");
      xhr.upload.onprogress = function (progress) {
        if (!progress.lengthComputable) return;
        var percent = Math.floor((progress.loaded / progress.total) * 100);
        setProgress(percent);
        if (percent >= 100) say(form.getAttribute("data-msg-checking"), "ok");
      };
      xhr.onload = function () {
        if (xhr.status === 201 || xhr.status === 200) {
          var asset = JSON.parse(xhr.responseText);
          setProgress(100);
          window.location.assign(form.getAttribute("data-asset-url") + asset.id);
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

  function watchAsset(root) {
    // console.js replaces the polled #media-state; say once when it turns final.
    var observer = new MutationObserver(function () {
      var state = document.getElementById("media-state");
      if (!state || state.hasAttribute("data-poll")) return;
      var status = state.getAttribute("data-status");
      if (status === "ready") say(root.getAttribute("data-ready-message"), "ok");
      if (status === "failed") say(root.getAttribute("data-failed-message"), "bad");
      observer.disconnect();
    });
    var state = document.getElementById("media-state");
    if (state && state.hasAttribute("data-poll")) observer.observe(root, { childList: true });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("media-upload");
    if (form) setupUpload(form);
    var asset = document.getElementById("media-asset");
    if (asset) watchAsset(asset);
  });
})();
