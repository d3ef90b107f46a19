// The sandbox timeline: post as a citizen, see every tweet (the official accounts' replies included), refreshed
// every two seconds (replies arrive whenever the worker delivers them).
(function () {
  "use strict";
  var form = document.querySelector("[data-tweet]");
  var list = document.querySelector("[data-timeline]");
  if (!form || !list) return;
  var base = form.getAttribute("data-base");

  function show(tweets) {
    list.textContent = "";
    tweets.forEach(function (tweet) {
      var item = document.createElement("li");
      item.className = "tweet" + (tweet.in_reply_to_user_id ? " tweet-reply" : "");
      item.setAttribute("data-tweet-id", tweet.id);
      var who = document.createElement("p");
      who.className = "tweet-author";
      who.textContent = tweet.author.name + " @" + tweet.author.username;
      var text = document.createElement("p");
      text.className = "tweet-text";
      text.textContent = tweet.text;
      item.appendChild(who);
      item.appendChild(text);
      list.appendChild(item);
    });
  }

  function refresh() {
    fetch(base + "/timeline")
      .then(function (r) { return r.json(); })
      .then(function (data) { show(data.tweets); })
      .catch(function () {});
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {
      username: form.querySelector("[name=username]").value,
      name: form.querySelector("[name=name]").value,
      text: form.querySelector("[name=text]").value,
    };
    fetch(base + "/tweet", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })
      .then(function () { form.querySelector("[name=text]").value = ""; refresh(); })
      .catch(function () {});
  });

  refresh();
  window.setInterval(refresh, 2000);
})();
