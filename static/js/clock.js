// Keeps the header clock ticking in the municipality's own time zone (not the browser's).
(function () {
  "use strict";
  var el = document.getElementById("local-clock");
  if (!el || !window.Intl) { return; }
  var fmt = new Intl.DateTimeFormat("ru-RU", {
    timeZone: el.dataset.tz, day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit"
  });
  function tick() { el.textContent = fmt.format(new Date()).replace(",", ""); }
  tick();
  setInterval(tick, 15000);
})();
