/* « Contacter un agent »: the conversation's messages and the agents' console, refreshed
   without reloading the page by polling small JSON endpoints (chat/views.py). Every text
   is put with textContent: nothing a person wrote is ever read as HTML. Without this
   script the pages still work: their forms post and the server shows the page again.
   Choeur's own file: no framework, no CDN (the Content-Security-Policy allows 'self'). */
(function () {
  "use strict";

  function getJSON(url) {
    return fetch(url, {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });
  }

  function every(ms, fn) {
    var timer = null, stopped = false;
    function tick() {
      if (stopped) { return; }
      fn().catch(function () {}).then(function () {
        if (!stopped) { timer = window.setTimeout(tick, document.hidden ? ms * 3 : ms); }
      });
    }
    timer = window.setTimeout(tick, ms);
    return function () { stopped = true; window.clearTimeout(timer); };
  }

  // --- A conversation ------------------------------------------------------------------------
  function conversation(box) {
    var thread = box.querySelector("[data-chat-thread]");
    var statusEl = box.querySelector("[data-chat-status]");
    var agentEl = box.querySelector("[data-chat-agent]");
    var agentName = box.querySelector("[data-chat-agent-name]");
    var form = box.querySelector("form[data-chat-send]");
    var ms = parseInt(box.getAttribute("data-poll-ms"), 10) || 2000;
    var pollUrl = box.getAttribute("data-poll-url");
    var status = null;
    var stop = function () {};

    function lastId() {
      var items = thread.querySelectorAll("li[data-id]");
      return items.length ? parseInt(items[items.length - 1].getAttribute("data-id"), 10) : 0;
    }

    function add(m) {
      if (thread.querySelector('li[data-id="' + m.id + '"]')) { return; }
      var li = document.createElement("li");
      li.className = "chat-message chat-" + m.side.toLowerCase() + (m.mine ? " chat-mine" : "");
      li.setAttribute("data-id", String(m.id));
      li.setAttribute("data-testid", "chat-message");
      var author = document.createElement("span");
      author.className = "chat-author";
      author.textContent = m.author;
      var at = document.createElement("time");
      at.className = "notice";
      at.textContent = m.at;
      var text = document.createElement("p");
      text.className = "chat-text";
      text.textContent = m.text; // white-space: pre-wrap keeps its lines
      li.appendChild(author);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(at);
      li.appendChild(text);
      // In id order even when a sent message's answer and a poll cross.
      var after = null;
      thread.querySelectorAll("li[data-id]").forEach(function (other) {
        if (!after && parseInt(other.getAttribute("data-id"), 10) > m.id) { after = other; }
      });
      thread.insertBefore(li, after);
      li.scrollIntoView({ block: "nearest" });
    }

    function show(newStatus) {
      if (newStatus === status) { return; }
      status = newStatus;
      box.querySelectorAll("[data-show-when]").forEach(function (el) {
        var when = el.getAttribute("data-show-when").split(" ");
        var visible = when.indexOf(status) !== -1;
        if (el.hasAttribute("data-chat-primary")) {
          // The sollicitation button is always there, primary once nobody answers.
          el.classList.toggle("button-secondary", !visible);
        } else {
          el.hidden = !visible;
        }
      });
    }

    function refresh() {
      return getJSON(pollUrl + "?apres=" + lastId()).then(function (data) {
        data.messages.forEach(add);
        statusEl.textContent = data.status_label;
        if (data.agent) {
          agentName.textContent = data.agent;
          agentEl.hidden = false;
        }
        show(data.status);
        if (data.more) { return refresh(); }
        if (data.status === "TERMINEE" || data.status === "SANS_AGENT") {
          stop(); // an ended conversation changes no more
        }
        return null;
      });
    }

    if (form && window.fetch && window.FormData) {
      var error = form.querySelector("[data-chat-error]");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        var textarea = form.querySelector("textarea");
        var token = form.querySelector("[data-chat-token]");
        button.disabled = true;
        fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { "Accept": "application/json" }
        }).then(function (r) {
          return r.json().then(function (data) { return { ok: r.ok, data: data }; });
        }).then(function (result) {
          if (result.ok) {
            add(result.data.message);
            textarea.value = "";
            error.hidden = true;
            // A new id for the next message: this one is written.
            token.value = Math.random().toString(16).slice(2) + Date.now().toString(16);
          } else {
            error.textContent = result.data.error.message + " [" + result.data.error.code + "]";
            error.hidden = false;
          }
        }).catch(function () {
          error.textContent = form.getAttribute("data-network-error") || "…";
          error.hidden = false; // the same id on the next try: never written twice
        }).finally(function () {
          button.disabled = false;
          textarea.focus();
        });
      });
      form.querySelector("textarea").addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    }
    stop = every(ms, refresh);
  }

  // --- The agents' console ---------------------------------------------------------------------
  function console_(box) {
    var ms = parseInt(box.getAttribute("data-poll-ms"), 10) || 3000;
    var url = box.getAttribute("data-state-url");
    var waitingLabel = box.getAttribute("data-label-waiting");
    var noneLabel = box.getAttribute("data-label-none");

    function fill(list, rows, withWait) {
      var items = [];
      rows.forEach(function (row) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = row.url;
        a.textContent = row.subject;
        li.appendChild(a);
        li.appendChild(document.createTextNode(" — " + row.requester + " "));
        if (withWait) {
          var since = document.createElement("span");
          since.className = "notice";
          since.textContent = waitingLabel.replace("%(n)s", String(row.minutes));
          li.appendChild(since);
        }
        items.push(li);
      });
      if (!items.length) {
        var empty = document.createElement("li");
        empty.className = "notice";
        empty.textContent = noneLabel;
        items.push(empty);
      }
      list.replaceChildren.apply(list, items);
    }

    var title = document.title;
    every(ms, function () {
      return getJSON(url).then(function (data) {
        fill(box.querySelector('[data-chat-list="waiting"]'), data.waiting, true);
        fill(box.querySelector('[data-chat-list="mine"]'), data.mine, false);
        // Seen from another tab: the tab's title counts who waits.
        document.title = (data.waiting.length ? "(" + data.waiting.length + ") " : "") + title;
      });
    });
  }

  function start() {
    if (!window.fetch) { return; }
    document.querySelectorAll("[data-chat]").forEach(conversation);
    document.querySelectorAll("[data-chat-console]").forEach(console_);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
