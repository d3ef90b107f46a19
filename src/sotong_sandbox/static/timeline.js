// A sandbox timeline (Mastodon, a Facebook Page's post): post as a citizen, see every post and reply, refreshed
// every two seconds (replies arrive whenever the worker delivers them).
(function () {
  "use strict";
  var form = document.querySelector("[data-post]");
  var list = document.querySelector("[data-timeline]");
  if (!form || !list) return;
  var base = form.getAttribute("data-base");

  function show(items) {
    list.textContent = "";
    items.forEach(function (post) {
      var item = document.createElement("li");
      item.className = "tweet" + (post.reply ? " tweet-reply" : "");
      item.setAttribute("data-post-id", post.id);
      var who = document.createElement("p");
      who.className = "tweet-author";
      who.textContent = post.who;
      var text = document.createElement("p");
      text.className = "tweet-text";
      text.textContent = post.text;
      item.appendChild(who);
      item.appendChild(text);
      list.appendChild(item);
    });
  }

  function refresh() {
    fetch(base + "/timeline")
      .then(function (r) { return r.json(); })
      .then(function (data) { show(data.items); })
      .catch(function () {});
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name) body[field.name] = field.value;
    });
    fetch(base + "/post", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })
      .then(function () { form.querySelector("textarea").value = ""; refresh(); })
      .catch(function () {});
  });

  refresh();
  window.setInterval(refresh, 2000);
})();
