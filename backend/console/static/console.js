// The console's one small script (no build step, nothing fetched from elsewhere). It does what
// htmx would do for these pages, speaking the same headers (HX-Request, HX-Redirect):
//  - every POST form is sent with the session's CSRF token (X-CSRF-Token, from the ctn_csrf
//    cookie); the HTML answer replaces the form (data-swap="outer", the default), its inside
//    (data-swap="inner") or the element named by data-target; data-swap="none" keeps the page;
//    HX-Redirect navigates; HX-Retarget/HX-Reswap (an error's message) put the answer
//    elsewhere, e.g. the page's status region; a problem+json answer is shown there too;
//  - data-confirm="question" asks before sending;
//  - data-preview="url" data-preview-target="#id" on a form: its fields are sent to url as the
//    person types (debounced) and the answer shown in the target (Markdown preview);
//  - data-poll="seconds" data-src="url": the element reloads itself until the answer no longer
//    polls (processing status);
//  - window.ctnConsole.send(...), problemOf(xhr), showProgress(...) for the page scripts of a
//    domain (uploads).
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)ctn_csrf=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function headers(extra) {
    var h = { "HX-Request": "true", "X-CSRF-Token": csrfToken(), "Accept": "text/html, application/problem+json" };
    for (var k in extra || {}) h[k] = extra[k];
    return h;
  }

  function flash(message, tone) {
    var region = document.getElementById("flash");
    if (!region) return;
    region.innerHTML = "";
    var p = document.createElement("p");
    p.className = "flash " + (tone || "bad");
    p.textContent = message;
    region.appendChild(p);
    region.setAttribute("tabindex", "-1");
    region.focus();
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  function swap(target, html, mode) {
    var content = fragment(html);
    var first = content.firstElementChild;
    if (mode === "inner") {
      target.innerHTML = "";
      target.appendChild(content);
      first = target.firstElementChild;
    } else {
      target.replaceWith(content);
    }
    activate(document);
    var focus = document.querySelector("[data-focus]") || first;
    if (focus && focus.focus) {
      if (!focus.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(focus.tagName)) {
        focus.setAttribute("tabindex", "-1");
      }
      focus.focus();
      focus.removeAttribute("data-focus");
    }
  }

  async function answer(response, target, mode) {
    var redirect = response.headers.get("HX-Redirect");
    if (redirect) {
      window.location.assign(redirect);
      return;
    }
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") >= 0) {
      var problem = await response.json().catch(function () { return {}; });
      flash(problem.detail || problem.title || ("HTTP " + response.status), response.ok ? "ok" : "bad");
      return;
    }
    if (response.status === 204 || mode === "none") {
      if (!response.ok) flash("HTTP " + response.status);
      return;
    }
    var html = await response.text();
    var retarget = response.headers.get("HX-Retarget");
    if (retarget) {
      target = document.querySelector(retarget);
      mode = response.headers.get("HX-Reswap") === "innerHTML" ? "inner" : "outer";
    }
    if (target) swap(target, html, mode);
  }

  async function send(url, options) {
    options = options || {};
    var response = await fetch(url, {
      method: options.method || "POST",
      headers: headers(options.headers),
      body: options.body,
      credentials: "same-origin",
      redirect: "follow",
    });
    return response;
  }

  function formBody(form, submitter) {
    var data = new FormData(form, submitter || undefined);
    if (form.enctype === "multipart/form-data") return { body: data, headers: {} };
    var params = new URLSearchParams();
    data.forEach(function (value, key) { if (typeof value === "string") params.append(key, value); });
    return { body: params, headers: { "Content-Type": "application/x-www-form-urlencoded" } };
  }

  async function submit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "get").toLowerCase() !== "post") return;
    if (form.hasAttribute("data-native")) return;
    event.preventDefault();
    var submitter = event.submitter;
    var question = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    var action = (submitter && submitter.getAttribute("formaction")) || form.action;
    var sent = formBody(form, submitter);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
    try {
      var response = await send(action, { body: sent.body, headers: sent.headers });
      var targetSelector = form.getAttribute("data-target");
      var target = targetSelector ? document.querySelector(targetSelector) : form;
      await answer(response, target, form.getAttribute("data-swap") || "outer");
    } catch (error) {
      flash(document.documentElement.lang === "en" ? "The server could not be reached." : "Không kết nối được máy chủ.");
    } finally {
      buttons.forEach(function (b) { if (b.isConnected) b.disabled = false; });
      form.removeAttribute("aria-busy");
    }
  }

  function preview(form) {
    var timer = null;
    var url = form.getAttribute("data-preview");
    var target = document.querySelector(form.getAttribute("data-preview-target"));
    if (!url || !target) return;
    var run = async function () {
      var sent = formBody(form);
      var response = await send(url, { body: sent.body, headers: sent.headers });
      if (response.ok) target.innerHTML = await response.text();
    };
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 400);
    });
  }

  function poll(element) {
    var seconds = parseFloat(element.getAttribute("data-poll")) || 2;
    var src = element.getAttribute("data-src");
    if (!src || element.__polling) return;
    element.__polling = true;
    setTimeout(async function () {
      if (!element.isConnected) return;
      try {
        var response = await fetch(src, { headers: headers(), credentials: "same-origin" });
        if (response.ok) {
          var content = fragment(await response.text());
          element.replaceWith(content);
          activate(document);
          return;
        }
      } catch (error) { /* try again at the next beat */ }
      element.__polling = false;
      poll(element);
    }, seconds * 1000);
  }

  function activate(root) {
    root.querySelectorAll("form[data-preview]").forEach(function (form) {
      if (form.__preview) return;
      form.__preview = true;
      preview(form);
    });
    root.querySelectorAll("[data-poll]").forEach(poll);
  }

  document.addEventListener("submit", submit);
  document.addEventListener("DOMContentLoaded", function () { activate(document); });
  // What an upload's XMLHttpRequest failed with: the problem's detail, else its status.
  function problemOf(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      return body.detail || body.title || ("HTTP " + xhr.status);
    } catch (error) {
      return "HTTP " + xhr.status;
    }
  }

  // An upload's progress, in its <progress> bar and the text beside it.
  function showProgress(bar, text, percent) {
    bar.value = percent;
    bar.textContent = percent + "%";
    text.textContent = percent + "%";
  }

  window.ctnConsole = {
    send: send,
    csrfToken: csrfToken,
    flash: flash,
    swap: swap,
    activate: activate,
    problemOf: problemOf,
    showProgress: showProgress,
  };
})();
