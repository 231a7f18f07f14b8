// The report page's script (see backend/tips/pages.py): a reply with a file. The message
// goes to the console's own route (POST /console/tips/{id}/messages, which answers with the
// new message's id in X-Message-Id), then the file to the police API's upload route for that
// message (POST /api/v1/police/tips/{id}/messages/{message}/attachments, multipart), with the
// session cookie and the CSRF token, as the media library's upload does. Without a file, or
// without this script, console.js sends the reply as any form. Failures are shown in the
// page's status region.
(function () {
  "use strict";

  var ctn = window.ctnConsole;

  async function problem(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") >= 0) {
      var body = await response.json().catch(function () { return {}; });
      return body.detail || body.title || ("HTTP " + response.status);
    }
    return "HTTP " + response.status;
  }

  async function showRefusal(response) {
    var retarget = response.headers.get("HX-Retarget");
    var type = response.headers.get("Content-Type") || "";
    if (retarget && type.indexOf("html") >= 0) {
      var target = document.querySelector(retarget);
      if (target) {
        ctn.swap(target, await response.text(), "inner");
        return;
      }
    }
    ctn.flash(await problem(response));
  }

  async function reply(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-reply")) return;
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files || !input.files.length) return; // console.js sends it
    event.preventDefault();
    event.stopPropagation();
    var status = form.querySelector(".upload-status");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
    try {
      var text = new URLSearchParams();
      new FormData(form).forEach(function (value, key) { if (typeof value === "string") text.append(key, value); });
      var sent = await ctn.send(form.action, {
        body: text,
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      });
      var messageId = sent.headers.get("X-Message-Id");
      if (!messageId) {
        await showRefusal(sent);
        return;
      }
      if (status) status.textContent = form.getAttribute("data-msg-uploading");
      var data = new FormData();
      data.append("file", input.files[0], input.files[0].name);
      var uploaded = await fetch(form.getAttribute("data-upload") + messageId + "/attachments", {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: {
          "X-CSRF-Token": ctn.csrfToken(),
          "Accept": "application/json, application/problem+json",
          "Accept-Language": document.documentElement.lang || "vi",
        },
      });
      if (!uploaded.ok) {
        ctn.flash(form.getAttribute("data-msg-upload-failed") + " " + (await problem(uploaded)));
        if (status) status.textContent = "";
        return;
      }
      window.location.assign(sent.headers.get("HX-Redirect") || window.location.pathname);
    } catch (error) {
      ctn.flash(document.documentElement.lang === "en" ? "The server could not be reached." : "Không kết nối được máy chủ.");
    } finally {
      buttons.forEach(function (b) { if (b.isConnected) b.disabled = false; });
      form.removeAttribute("aria-busy");
    }
  }

  // In the capture phase, before console.js's listener (bubbling, on the document).
  document.addEventListener("submit", reply, true);
})();
