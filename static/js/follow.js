// Follow and unfollow without a full reload: the profile's follow form is
// posted with fetch, and the button, its count and the hint are updated
// from the JSON answer. Without JavaScript the form posts and redirects.
(function () {
  "use strict";
  var form = document.querySelector("form[data-follow]");
  if (!form || !window.fetch) {
    return;
  }
  var button = form.querySelector("button");
  var label = form.querySelector("[data-follow-label]");
  // The button's count and the trust snapshot's.
  var counts = document.querySelectorAll("[data-follow-count]");
  var nouns = document.querySelectorAll("[data-follow-noun]");
  var hint = form.querySelector("[data-follow-hint]");

  function show(following, followers, action) {
    form.setAttribute("action", action);
    button.setAttribute("aria-pressed", following ? "true" : "false");
    button.classList.toggle("button--ghost", following);
    label.textContent = following ? "Following" : "Follow researcher";
    counts.forEach(function (count) {
      count.textContent = followers.toLocaleString("en");
    });
    nouns.forEach(function (noun) {
      noun.textContent = followers === 1 ? "follower" : "followers";
    });
    if (hint) {
      hint.textContent = following
        ? "You follow this researcher; their new works reach your feed."
        : "Follow to see their new works in your feed.";
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("follow failed: " + response.status);
        }
        return response.json();
      })
      .then(function (answer) {
        show(answer.following, answer.followers, answer.action);
      })
      .catch(function () {
        // Let the plain form do it, with the page's own messages.
        form.submit();
      })
      .finally(function () {
        button.disabled = false;
      });
  });
})();
