/* Colloquy times. A <time data-shown> comes from a block cached for every reader, so
   the server wrote its tooltip in UTC and its relative text as of when it was
   cached: put both in the reader's zone (the page's colloquy-time-zone) and now.
   The registration form's hidden time_zone field gets the browser's zone. */
(function () {
  "use strict";

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var meta = document.querySelector('meta[name="colloquy-time-zone"]');
  var zone = meta ? meta.content : "UTC";
  var parts;
  try {
    parts = new Intl.DateTimeFormat("en-GB", {
      year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      timeZone: zone, timeZoneName: "short",
    });
  } catch (error) {
    return;  // a zone this browser does not know: keep the server's UTC text
  }

  function local(date) {
    var found = {};
    parts.formatToParts(date).forEach(function (part) { found[part.type] = part.value; });
    return found;
  }

  function shortDate(p) {
    return MONTHS[p.month - 1] + " " + Number(p.day) + ", " + p.year;
  }

  function ago(count, unit) {
    return count + " " + unit + (count === 1 ? "" : "s") + " ago";
  }

  // The same words as forum_tags._relative on the server.
  function relative(date, p) {
    var seconds = (Date.now() - date.getTime()) / 1000;
    if (seconds < 60) return "just now";
    if (seconds < 3600) return ago(Math.floor(seconds / 60), "minute");
    if (seconds < 86400) return ago(Math.floor(seconds / 3600), "hour");
    if (seconds < 7 * 86400) return ago(Math.floor(seconds / 86400), "day");
    return shortDate(p);
  }

  function localize(element) {
    var date = new Date(element.getAttribute("datetime"));
    if (isNaN(date.getTime())) return;
    var p = local(date);
    element.title = Number(p.day) + " " + MONTHS[p.month - 1] + " " + p.year + ", " +
      p.hour + ":" + p.minute + " " + p.timeZoneName;
    var shown = element.dataset.shown;
    if (shown === "relative") element.textContent = relative(date, p);
    else if (shown === "date") element.textContent = shortDate(p);
    else element.textContent = shortDate(p) + ", " + p.hour + ":" + p.minute;
  }

  function localizeAll(root) {
    root.querySelectorAll("time[data-shown]").forEach(localize);
  }

  localizeAll(document);
  // Blocks htmx swaps in (a preview, a reply) are localized as they arrive.
  document.addEventListener("htmx:afterSwap", function (event) { localizeAll(event.target); });

  document.querySelectorAll("input[data-browser-time-zone]").forEach(function (input) {
    try {
      input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) { /* the site's zone, as without JavaScript */ }
  });
})();
