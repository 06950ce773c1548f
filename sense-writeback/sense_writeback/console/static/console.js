// The console's only script (served from the console's own origin; the Content-Security-Policy allows
// no other). It shows every <time> in the viewer's time zone; the UTC value stays in the title (hover).
"use strict";
(function () {
  function localize() {
    var format = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      timeZoneName: "short"
    });
    var nodes = document.querySelectorAll("time[datetime]");
    for (var i = 0; i < nodes.length; i++) {
      var moment = new Date(nodes[i].getAttribute("datetime"));
      if (!isNaN(moment.getTime())) {
        nodes[i].textContent = format.format(moment);
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localize);
  } else {
    localize();
  }
})();
