/* « Besoin d'aide ? »: the assistant's forms answer in place (the panel in the header, the
   assistant's page). Without this script the same forms post and the server shows the whole
   page; with it, the answer the server renders (escaped there) is put under the question.
   Choeur's own file: no framework, no CDN (the Content-Security-Policy allows 'self' only). */
(function () {
  "use strict";

  function repliesOf(form) {
    var box = form.closest(".assistant-panel, main");
    return box ? box.querySelector("[data-assistant-replies], .assistant-replies") : null;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-assistant-form")) {
      return;
    }
    var replies = repliesOf(form);
    if (!replies || !window.fetch || !window.FormData) {
      return; // the ordinary post: the server answers with the whole page
    }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    replies.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Choeur-Fragment": "1" }
    }).then(function (response) {
      if (!response.headers.get("X-Choeur-Fragment")) {
        // Not the assistant's answer (the portal sent the user elsewhere first, e.g. a
        // rejection to acknowledge): go where the portal says.
        window.location.assign(response.url);
        return null;
      }
      return response.text();
    }).then(function (html) {
      if (html === null) { return; }
      var holder = document.createElement("div");
      holder.className = "assistant-reply";
      holder.innerHTML = html; // the server's template: every value escaped there
      replies.appendChild(holder);
      if (form.matches(".assistant-rating")) {
        form.remove(); // one vote shown per answer; the server keeps the last one
      }
      var question = form.querySelector("textarea[name=question]");
      if (question) { question.value = ""; question.focus(); }
      holder.scrollIntoView({ block: "nearest" });
    }).catch(function () {
      form.submit(); // the network failed: let the browser post it
    }).finally(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      replies.removeAttribute("aria-busy");
    });
  });
})();
