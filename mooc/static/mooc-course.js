// The course editor's script (see mooc/course_pages.py):
//  - a lesson form with a video file chosen: the file goes first to the media API's own upload
//    route (POST /api/v1/media?purpose=course_video) by XMLHttpRequest, with a progress bar;
//    the new asset is then chosen in the form's video select and the form is sent as usual
//    (console.js), so the lesson refers to it; the page then shows its processing status,
//    which updates itself until the video is ready;
//  - a WebVTT file chosen: its text is stored through POST /api/v1/admin/captions and the
//    form's hidden captions_asset_id set to it.
(function () {
  "use strict";

  var ctn = window.ctnConsole;
  var en = document.documentElement.lang === "en";

  function text(vi, english) { return en ? english : vi; }

  function uploadVideo(form, input) {
    var file = input.files[0];
    var box = form.querySelector("[data-video-progress]");
    var bar = box.querySelector("progress");
    var percentText = box.querySelector("[data-video-percent]");
    var select = form.querySelector("[data-video-select]");
    var buttons = form.querySelectorAll("button");
    var data = new FormData();
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/media?purpose=course_video");
    xhr.withCredentials = true;
    xhr.setRequestHeader("X-CSRF-Token", ctn.csrfToken());
    xhr.setRequestHeader("Accept", "application/json, application/problem+json");
    xhr.setRequestHeader("Accept-Language", document.documentElement.lang || "vi");
    xhr.upload.onprogress = function (progress) {
      if (!progress.lengthComputable) return;
      ctn.showProgress(bar, percentText, Math.floor((progress.loaded / progress.total) * 100));
    };
    function done() {
      buttons.forEach(function (b) { b.disabled = false; });
      form.removeAttribute("aria-busy");
    }
    xhr.onload = function () {
      done();
      if (xhr.status !== 201 && xhr.status !== 200) {
        box.hidden = true;
        ctn.flash(ctn.problemOf(xhr), "bad");
        return;
      }
      var asset = JSON.parse(xhr.responseText);
      var option = document.createElement("option");
      option.value = asset.id;
      option.textContent = file.name;
      select.appendChild(option);
      select.value = asset.id;
      input.value = "";
      ctn.showProgress(bar, percentText, 100);
      form.requestSubmit();
    };
    xhr.onerror = function () {
      done();
      box.hidden = true;
      ctn.flash(text("Không kết nối được máy chủ.", "The server could not be reached."), "bad");
    };
    buttons.forEach(function (b) { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
    box.hidden = false;
    ctn.showProgress(bar, percentText, 0);
    xhr.send(data);
  }

  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-video-form")) return;
    var input = form.querySelector("[data-video-file]");
    var action = event.submitter && event.submitter.value;
    if (!input || !input.files || !input.files.length || action === "delete") return;
    // Upload first; the form is sent again (without the file) once the asset exists.
    event.preventDefault();
    event.stopPropagation();
    uploadVideo(form, input);
  }

  async function onCaptions(event) {
    var input = event.target;
    if (!input.hasAttribute || !input.hasAttribute("data-captions-file") || !input.files.length) return;
    var form = input.form;
    var state = input.parentElement.querySelector("[data-captions-state]");
    var hidden = form.querySelector("input[name=captions_asset_id]");
    var body = JSON.stringify({ vtt: await input.files[0].text() });
    var response = await fetch("/api/v1/admin/captions", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json, application/problem+json",
        "Accept-Language": document.documentElement.lang || "vi",
        "X-CSRF-Token": ctn.csrfToken(),
      },
      body: body,
    });
    var answer = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      input.value = "";
      ctn.flash(answer.detail || answer.title || ("HTTP " + response.status), "bad");
      return;
    }
    hidden.value = answer.id;
    if (state) state.textContent = text("Đã tải phụ đề lên; hãy lưu bài học.", "Captions uploaded; save the lesson.");
  }

  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("change", onCaptions);
})();
