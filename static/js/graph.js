// The research graph on the page: the profile's section fetches its slice
// (the served page holds "Building this graph slice…"; the server answers
// 202 while a worker builds it, so this asks again, waiting longer each
// time, and its last try asks the server to build it at once), then swaps
// it in. On every slice, hovering or focusing a node shows its label and
// metric; in the explorer, clicking a node, or Enter or Space on it,
// selects it and fills the side panel. Without this script the section
// links to the explorer and every node is a plain link to its page.
(function () {
  "use strict";

  // Milliseconds between the tries while the slice is being built: about
  // 16 seconds in all before the last try, which builds it in the request.
  var RETRY_DELAYS = [400, 800, 1200, 2000, 3000, 4000, 5000];

  function nodeOf(target) {
    if (!(target instanceof Element)) {
      return null;
    }
    var node = target.closest(".graph-node");
    if (node) {
      return node;
    }
    var link = target.closest("a");
    return link ? link.querySelector(".graph-node") : null;
  }

  // The element a node is focused and activated by: its link when it has
  // one (a link is what a screen reader names and Enter follows).
  function focusTarget(node) {
    var link = node.closest("a");
    return link || node;
  }

  function nodeText(node) {
    return node.getAttribute("data-graph-tip") || "";
  }

  // One tab stop per node (its link), named by its <title>, whose text the
  // tooltip shows instead of the browser's own, slower one. The picture
  // becomes a named group, so screen readers reach the links inside it (an
  // image's children are presentational).
  function prepareCanvas(canvas) {
    var picture = canvas.querySelector("svg");
    if (picture && picture.getAttribute("role") === "img") {
      picture.setAttribute("role", "group");
    }
    canvas.querySelectorAll(".graph-node").forEach(function (node) {
      var title = node.querySelector("title");
      var text = title ? title.textContent.trim() : "";
      node.setAttribute("data-graph-tip", text);
      var target = focusTarget(node);
      if (target !== node) {
        node.setAttribute("tabindex", "-1");
      }
      if (text) {
        target.setAttribute("aria-label", text);
        if (title) {
          title.remove();
        }
      }
    });
  }

  function tooltipOf(canvas) {
    return canvas.querySelector("[data-graph-tooltip]");
  }

  function showTip(canvas, node) {
    var tip = tooltipOf(canvas);
    var text = nodeText(node);
    if (!tip || !text) {
      return;
    }
    tip.textContent = text;
    tip.hidden = false;
    // Where the node is in the canvas's content (which scrolls on a phone).
    var box = canvas.getBoundingClientRect();
    var mark = node.getBoundingClientRect();
    var left = mark.left - box.left + canvas.scrollLeft + mark.width / 2;
    var top = mark.top - box.top + canvas.scrollTop;
    // Keep it inside the picture: flip below the node near the top edge.
    var width = tip.offsetWidth;
    var room = canvas.scrollWidth;
    left = Math.max(width / 2 + 4, Math.min(room - width / 2 - 4, left));
    var below = top < tip.offsetHeight + 12;
    tip.classList.toggle("graph-tooltip--below", below);
    if (below) {
      top = mark.bottom - box.top + canvas.scrollTop;
    }
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  function hideTip(canvas) {
    var tip = tooltipOf(canvas);
    if (tip) {
      tip.hidden = true;
    }
  }

  function bindTips(canvas) {
    canvas.addEventListener("mouseover", function (event) {
      var node = nodeOf(event.target);
      if (node) {
        showTip(canvas, node);
      }
    });
    canvas.addEventListener("mouseleave", function () {
      var focused = nodeOf(document.activeElement);
      if (focused && canvas.contains(focused)) {
        showTip(canvas, focused);
      } else {
        hideTip(canvas);
      }
    });
    canvas.addEventListener("focusin", function (event) {
      var node = nodeOf(event.target);
      if (node) {
        showTip(canvas, node);
      }
    });
    canvas.addEventListener("focusout", function () {
      hideTip(canvas);
    });
  }

  // --- the explorer: a side panel for the selected node -------------------

  function bindExplorer(canvas) {
    var panel = document.querySelector("[data-graph-panel]");
    if (!panel) {
      return;
    }
    var status = document.querySelector("[data-graph-selection-status]");

    function select(node, announce) {
      var id = node.getAttribute("data-node");
      var entry = null;
      panel.querySelectorAll("[data-node-detail]").forEach(function (item) {
        var chosen = item.getAttribute("data-node-detail") === id;
        item.hidden = !chosen;
        if (chosen) {
          entry = item;
        }
      });
      if (!entry) {
        return;
      }
      canvas.querySelectorAll(".graph-node.is-selected").forEach(function (other) {
        other.classList.remove("is-selected");
      });
      node.classList.add("is-selected");
      if (announce && status) {
        var label = entry.querySelector(".graph-panel__label");
        var name = label ? label.textContent : id;
        status.textContent = "Selected " + name + ": details in the side panel.";
      }
    }

    canvas.addEventListener("click", function (event) {
      var node = nodeOf(event.target);
      if (!node) {
        return;
      }
      event.preventDefault();
      select(node, true);
      focusTarget(node).focus({ preventScroll: true });
    });
    canvas.addEventListener("dblclick", function (event) {
      var node = nodeOf(event.target);
      var link = node ? node.closest("a") : null;
      if (link) {
        window.location.assign(link.getAttribute("href"));
      }
    });
    canvas.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== " ") {
        return;
      }
      var node = nodeOf(event.target);
      if (node) {
        event.preventDefault();
        select(node, true);
      }
    });
    canvas.addEventListener("focusin", function (event) {
      var node = nodeOf(event.target);
      if (node) {
        select(node, false);
      }
    });
    var centre = canvas.querySelector(".graph-node--centre");
    if (centre) {
      select(centre, false);
    }
  }

  function prepare(root) {
    root.querySelectorAll("[data-graph-canvas]").forEach(function (canvas) {
      prepareCanvas(canvas);
      bindTips(canvas);
      if (canvas.hasAttribute("data-graph-explorer-canvas")) {
        bindExplorer(canvas);
      }
    });
  }

  // --- the profile's section: fetch the slice -------------------------------

  function say(slot, text) {
    var status = slot.parentNode.querySelector("[data-graph-status]");
    if (status) {
      status.textContent = text;
    }
  }

  function unavailable(slot) {
    var box = document.createElement("div");
    box.className = "graph-unavailable";
    box.setAttribute("data-graph-unavailable", "");
    var title = document.createElement("p");
    title.className = "graph-unavailable__title";
    title.textContent = "The graph is not available right now.";
    var more = document.createElement("p");
    more.className = "muted";
    var link = document.createElement("a");
    link.href = slot.getAttribute("data-graph-explorer");
    link.textContent = "Open the full explorer";
    more.append("Try again later, or ", link, ".");
    box.append(title, more);
    slot.replaceChildren(box);
    slot.setAttribute("aria-busy", "false");
    say(slot, "The graph is not available right now.");
  }

  function show(slot, html) {
    slot.innerHTML = html;
    slot.setAttribute("aria-busy", "false");
    var refusal = slot.querySelector("[data-graph-unavailable]");
    if (refusal) {
      say(slot, refusal.querySelector("p").textContent);
      return;
    }
    prepare(slot);
    say(slot, "The graph slice is ready.");
  }

  function load(slot) {
    var address = slot.getAttribute("data-graph-fragment");
    var attempt = 0;

    function ask(build) {
      var url = new URL(address, window.location.href);
      if (build) {
        url.searchParams.set("build", "1");
      }
      fetch(url, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      })
        .then(function (response) {
          if (response.status === 200) {
            return response.text().then(function (html) {
              show(slot, html);
            });
          }
          if (response.status === 202 && attempt < RETRY_DELAYS.length) {
            window.setTimeout(ask, RETRY_DELAYS[attempt], false);
            attempt += 1;
            return undefined;
          }
          if (response.status === 202 && !build) {
            ask(true);
            return undefined;
          }
          unavailable(slot);
          return undefined;
        })
        .catch(function () {
          unavailable(slot);
        });
    }

    ask(false);
  }

  prepare(document);
  if (window.fetch) {
    document.querySelectorAll("[data-graph-fragment]").forEach(load);
  }
})();
