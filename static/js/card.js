// The incident card: a live countdown to the deadline, and answer templates into the editor.
// Everything here is an aid: without JavaScript the page shows the same facts, frozen at load.
(function () {
  "use strict";
  function plural(n, one, few, many) {
    var m10 = n % 10, m100 = n % 100;
    if (m10 === 1 && m100 !== 11) { return one; }
    if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) { return few; }
    return many;
  }
  function human(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days) { return days + " дн " + hours + " ч"; }
    if (hours) { return hours + " ч " + (mins < 10 ? "0" : "") + mins + " мин"; }
    return mins + " " + plural(mins, "минута", "минуты", "минут");
  }
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = new Date(el.dataset.countdown).getTime() - Date.now();
      el.textContent = left > 0 ? "осталось " + human(left) : "просрочено на " + human(left);
      var box = el.closest(".deadline");
      if (box) { box.classList.toggle("overdue", left <= 0); }
    });
  }
  function wireTemplates(root) {
    root.querySelectorAll("select[data-template-for]").forEach(function (select) {
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var target = select.form && select.form.querySelector("#" + select.dataset.templateFor);
        if (!option || !option.dataset.text || !target) { return; }
        if (target.value.trim() && !window.confirm("Заменить текст ответа шаблоном?")) { return; }
        target.value = option.dataset.text;
        target.focus();
      });
    });
  }
  tick();
  setInterval(tick, 30000);
  wireTemplates(document);
  document.body.addEventListener("htmx:afterSwap", function (event) { tick(); wireTemplates(event.target); });
})();
