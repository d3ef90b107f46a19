// A sandbox chat window (Messenger, TalkTalk, a phone's messages): the citizen's id is kept in this browser,
// bubbles are fetched every two seconds (answers arrive whenever the worker delivers them).
(function () {
  "use strict";
  var chat = document.querySelector("[data-chat]");
  if (!chat) return;
  var base = chat.getAttribute("data-base");
  var key = "sandbox-" + chat.getAttribute("data-storage");
  var list = chat.querySelector("[data-bubbles]");
  var form = chat.querySelector("[data-composer]");
  var params = new URLSearchParams(window.location.search);
  var user = params.get("user") || window.localStorage.getItem(key);
  if (!user) {
    user = chat.getAttribute("data-new-user").replace(/[#*]/g, function (c) {
      return Math.floor(Math.random() * (c === "#" ? 10 : 16)).toString(16);
    });
  }
  window.localStorage.setItem(key, user);
  var me = chat.querySelector("[data-me]");
  if (me) me.textContent = "나: " + user;
  var last = 0;

  function show(bubbles) {
    bubbles.forEach(function (bubble) {
      if (bubble.id <= last) return;
      last = bubble.id;
      var item = document.createElement("li");
      item.className = "bubble bubble-" + bubble.from;
      item.setAttribute("data-from", bubble.from);
      item.setAttribute("data-via", bubble.via);
      item.textContent = bubble.text;
      (bubble.buttons || []).forEach(function (button) {
        var press = document.createElement("button");
        press.type = "button";
        press.className = "quick-reply";
        press.textContent = button.title;
        press.addEventListener("click", function () { send(button.title, button.code); });
        item.appendChild(press);
      });
      list.appendChild(item);
      item.scrollIntoView({ block: "end" });
    });
  }

  function refresh() {
    fetch(base + "/messages?user=" + encodeURIComponent(user) + "&after=" + last)
      .then(function (r) { return r.json(); })
      .then(function (data) { show(data.bubbles); })
      .catch(function () {});
  }

  function send(text, code) {
    var button = form.querySelector("button");
    button.disabled = true;
    return fetch(base + "/say", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: user, text: text, code: code || "" }),
    })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (data.bubbles) show(data.bubbles); })
      .catch(function () {})
      .then(function () { button.disabled = false; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var box = form.querySelector("textarea");
    var text = box.value.trim();
    if (!text) return;
    box.value = "";
    send(text).then(function () { box.focus(); });
  });

  refresh();
  window.setInterval(refresh, 2000);
})();
