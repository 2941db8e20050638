// Marks the words a search matched in the post it led to (?highlight=word word).
// The post blocks are cached and shared by every reader, so the highlight is added
// here, in the reader's browser, and never on the server. Text is wrapped in <mark>
// elements built with the DOM: the words are never parsed as HTML. Without
// JavaScript the link still lands on the post, unmarked.
(function () {
  "use strict";
  var raw = new URLSearchParams(window.location.search).get("highlight");
  if (!raw) return;
  var words = raw.split(/\s+/).filter(function (word) {
    return word.length > 0 && word.length <= 50;
  }).slice(0, 10);
  if (!words.length) return;
  var escaped = words.map(function (word) {
    return word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  });
  // Word starts, so "repair" also marks "repairs" and "repaired" (stems).
  var pattern = new RegExp("(^|[^\\p{L}\\p{N}])(" + escaped.join("|") + ")", "giu");

  function mark(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var text = node.nodeValue;
      pattern.lastIndex = 0;
      if (!pattern.test(text)) return;
      pattern.lastIndex = 0;
      var fragment = document.createDocumentFragment();
      var last = 0;
      var match;
      while ((match = pattern.exec(text)) !== null) {
        var start = match.index + match[1].length;
        fragment.appendChild(document.createTextNode(text.slice(last, start)));
        var marked = document.createElement("mark");
        marked.className = "search-hit";
        marked.textContent = match[2];
        fragment.appendChild(marked);
        last = start + match[2].length;
      }
      fragment.appendChild(document.createTextNode(text.slice(last)));
      node.parentNode.replaceChild(fragment, node);
    });
  }

  function run() {
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    var scope = target || document.querySelector(".posts");
    if (!scope) return;
    scope.querySelectorAll(".post-body").forEach(mark);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
