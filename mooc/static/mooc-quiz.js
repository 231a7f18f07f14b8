// The quiz pages' script (see mooc/quiz_pages.py):
//  - taking a quiz (#quiz-form): each answer is saved as it is given, through the learner API
//    (PUT /api/v1/attempts/{id}/answers/{question_id}, JSON, with the session's CSRF token via
//    ctnConsole.send); saves of one question are sent one after another, the newest value
//    last. The countdown follows the server's clock: the page's `data-now` (and each save's
//    `now`) give the offset between the server's clock and this one, so a wrong clock on the
//    learner's computer changes nothing. At zero the form is submitted (console.js sends it;
//    it carries every answer); an answer refused because the time is over does the same.
//  - the question bank editor (form[data-kind-form]): only the fields of the chosen kind show.
(function () {
  "use strict";

  var ctn = window.ctnConsole;

  function setupQuiz(form) {
    var api = form.getAttribute("data-api");
    var deadlineText = form.getAttribute("data-deadline");
    var deadline = deadlineText ? Date.parse(deadlineText) : null;
    var offset = Date.parse(form.getAttribute("data-now")) - Date.now();
    var remaining = document.getElementById("quiz-remaining");
    var timer = document.getElementById("quiz-timer");
    var alertBox = document.getElementById("quiz-alert");
    var chains = {};
    var timers = {};
    var finished = false;
    var warned = false;

    function say(message) {
      alertBox.textContent = message;
      alertBox.hidden = false;
    }

    function state(id, text, bad) {
      var element = document.getElementById("state-" + id);
      if (!element) return;
      element.textContent = text;
      element.classList.toggle("bad", !!bad);
    }

    function valueOf(fieldset) {
      var kind = fieldset.getAttribute("data-kind");
      var inputs = fieldset.querySelectorAll("input");
      if (kind === "text") return inputs[0].value;
      if (kind === "multiple") {
        var chosen = [];
        inputs.forEach(function (input) { if (input.checked) chosen.push(input.value); });
        return chosen;
      }
      var picked = null;
      inputs.forEach(function (input) { if (input.checked) picked = input.value; });
      if (picked === null) return null;
      return kind === "true_false" ? picked === "true" : picked;
    }

    function timeOver() {
      if (finished) return;
      finished = true;
      say(form.getAttribute("data-time-over"));
      form.requestSubmit();
    }

    async function send(fieldset) {
      var id = fieldset.getAttribute("data-question");
      state(id, form.getAttribute("data-saving"));
      try {
        var response = await ctn.send(api + "/answers/" + id, {
          method: "PUT",
          body: JSON.stringify({ value: valueOf(fieldset) }),
          headers: { "Content-Type": "application/json", "Accept": "application/json" },
        });
        var body = await response.json().catch(function () { return {}; });
        if (response.ok) {
          if (body.now) offset = Date.parse(body.now) - Date.now();
          state(id, form.getAttribute("data-saved"));
          return;
        }
        if (body.code === "mooc_attempt_time_over" || body.code === "mooc_attempt_closed") {
          timeOver();
          return;
        }
        state(id, form.getAttribute("data-failed") + ": " + (body.detail || ("HTTP " + response.status)), true);
      } catch (error) {
        state(id, form.getAttribute("data-failed"), true);
      }
    }

    function save(fieldset) {
      if (finished) return;
      var id = fieldset.getAttribute("data-question");
      chains[id] = (chains[id] || Promise.resolve()).then(function () { return send(fieldset); });
    }

    form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
      fieldset.addEventListener("change", function () { save(fieldset); });
      if (fieldset.getAttribute("data-kind") === "text") {
        fieldset.addEventListener("input", function () {
          var id = fieldset.getAttribute("data-question");
          clearTimeout(timers[id]);
          timers[id] = setTimeout(function () { save(fieldset); }, 800);
        });
      }
    });

    function two(n) { return (n < 10 ? "0" : "") + n; }

    function tick() {
      if (deadline === null || !remaining) return;
      var left = Math.max(0, deadline - (Date.now() + offset));
      var seconds = Math.ceil(left / 1000);
      var hours = Math.floor(seconds / 3600);
      var text = two(Math.floor((seconds % 3600) / 60)) + ":" + two(seconds % 60);
      remaining.textContent = hours ? hours + ":" + text : text;
      if (seconds <= 60) {
        timer.classList.add("warn");
        if (!warned && seconds > 0) {
          warned = true;
          say(form.getAttribute("data-one-minute"));
        }
      }
      if (left <= 0) {
        timeOver();
        return;
      }
      setTimeout(tick, 250);
    }
    tick();
  }

  function setupEditor(form) {
    var select = form.querySelector("[data-kind-select]");
    function show() {
      form.querySelectorAll("[data-kinds]").forEach(function (group) {
        group.hidden = group.getAttribute("data-kinds").split(" ").indexOf(select.value) < 0;
      });
    }
    select.addEventListener("change", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var quiz = document.getElementById("quiz-form");
    if (quiz) setupQuiz(quiz);
    document.querySelectorAll("form[data-kind-form]").forEach(setupEditor);
  });
})();
