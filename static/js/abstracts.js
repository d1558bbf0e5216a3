// A folded abstract's "Show full abstract" control sits under the excerpt;
// opened, it heads the full text in the excerpt's place, and "Show less" puts
// it back. The page works without this script (<details>, CSS :has). When
// that move takes the control, and so the keyboard focus, off the screen,
// browsers with scroll anchoring (Chromium, Firefox) follow it; this brings
// it back into view in the others (Safari).
document.addEventListener(
  "toggle",
  (event) => {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement)) return;
    if (!details.matches(".work__fold")) return;
    const summary = details.querySelector("summary");
    const box = summary.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      summary.scrollIntoView({ block: "nearest" });
    }
  },
  // "toggle" does not bubble: listen while it travels down to the <details>.
  true,
);
