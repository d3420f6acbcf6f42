// The unit desk's countdowns tick each second. The server rendered the same text and node first (the
// page is right without this script); here the remaining time and the node follow the clock. The words
// come from the page (countdown-labels), so they are the translated ones.
(function () {
  "use strict";
  var source = document.getElementById("countdown-labels");
  if (!source) return;
  var labels = JSON.parse(source.textContent);
  var NODES = ["normal", "yellow", "red", "overdue", "paused"];

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function duration(seconds) {
    var s = Math.abs(seconds);
    var days = Math.floor(s / 86400);
    var hours = Math.floor((s % 86400) / 3600);
    var minutes = Math.floor((s % 3600) / 60);
    var prefix = days ? labels.days.replace("%(days)s", days) : "";
    return prefix + pad(hours) + ":" + pad(minutes) + ":" + pad(s % 60);
  }

  function moment(value) { return value ? Date.parse(value) : NaN; }

  // The same rule as yousu.dispatch.selectors.time_node for a running clock.
  function nodeAt(el, now) {
    if (now >= moment(el.dataset.deadline)) return "overdue";
    if (now >= moment(el.dataset.red)) return "red";
    if (now >= moment(el.dataset.yellow)) return "yellow";
    return "normal";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var deadline = moment(el.dataset.deadline);
      if (isNaN(deadline)) return;
      var seconds = Math.trunc((deadline - now) / 1000);
      var text = (seconds >= 0 ? labels.left : labels.over).replace("%(time)s", duration(seconds));
      var left = el.querySelector(".cd-left");
      if (left && left.textContent !== text) left.textContent = text;
      var node = nodeAt(el, now);
      if (node !== el.dataset.node) {
        NODES.forEach(function (n) { el.classList.remove("node-" + n); });
        el.classList.add("node-" + node);
        el.dataset.node = node;
        var label = el.querySelector(".cd-node");
        if (label) label.textContent = labels.nodes[node];
      }
    });
  }

  tick();
  window.setInterval(tick, 1000);
})();
