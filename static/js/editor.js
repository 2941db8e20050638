/* Colloquy editor: a BBCode toolbar over post textareas, reply-with-quote into the
   quick reply box at the caret, multi-quote with a bar that floats while quotes are
   picked, previews scrolled into view, the quick reply's errors swapped in place,
   and long quotes folded to their first lines. Everything here is an enhancement:
   without JavaScript the Reply links open the reply page with the quote filled in,
   the quick reply shows the thread page again with its error, and a long quote is
   a <details> that opens on a click. */
(function () {
  "use strict";

  var TOOLS = [
    { label: "B", title: "Bold", open: "[B]", close: "[/B]" },
    { label: "I", title: "Italic", open: "[I]", close: "[/I]" },
    { label: "Link", title: "Link", ask: "Link address (https://…)", tag: "URL" },
    { label: "Image", title: "Image", ask: "Image address (https://…)", tag: "IMG" },
    { label: "Quote", title: "Quote", open: "[QUOTE]", close: "[/QUOTE]" },
    { label: "Code", title: "Code", open: "[CODE]", close: "[/CODE]" },
    { label: "List", title: "Bulleted list", open: "[LIST]\n[*]", close: "\n[/LIST]" },
    { label: "Spoiler", title: "Spoiler", open: "[SPOILER]", close: "[/SPOILER]" },
  ];

  function insertAtCaret(textarea, before, after) {
    after = after || "";
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var selected = textarea.value.slice(start, end);
    textarea.setRangeText(before + selected + after, start, end, "end");
    if (!selected && after) {
      var caret = start + before.length;
      textarea.setSelectionRange(caret, caret);
    }
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  function applyTool(textarea, tool) {
    if (!tool.ask) {
      insertAtCaret(textarea, tool.open, tool.close);
      return;
    }
    var url = window.prompt(tool.ask, "https://");
    if (!url || url === "https://") return;
    if (tool.tag === "URL") {
      var hasText = textarea.selectionStart !== textarea.selectionEnd;
      insertAtCaret(textarea, hasText ? "[URL=" + url + "]" : "[URL]" + url, "[/URL]");
    } else {
      insertAtCaret(textarea, "[IMG]" + url + "[/IMG]", "");
    }
  }

  function buildToolbar(textarea) {
    var bar = document.createElement("div");
    bar.className = "editor-toolbar btn-group btn-group-sm mb-1 flex-wrap";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Formatting");
    TOOLS.forEach(function (tool) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-outline-secondary";
      button.textContent = tool.label;
      button.title = tool.title;
      button.addEventListener("click", function () { applyTool(textarea, tool); });
      bar.appendChild(button);
    });
    textarea.parentNode.insertBefore(bar, textarea);
  }

  function buildToolbars(root) {
    root.querySelectorAll("form[data-editor] textarea[name=body]").forEach(function (textarea) {
      var before = textarea.previousElementSibling;
      if (!before || !before.classList.contains("editor-toolbar")) buildToolbar(textarea);
    });
  }

  // Long quotes: open, but cut to their first lines, faded, above "Click to expand…".
  function foldQuotes(root) {
    root.querySelectorAll("details.bbquote-fold:not([data-folded])").forEach(function (fold) {
      var body = fold.querySelector(":scope > .bbquote-body");
      if (!body) return;
      fold.dataset.folded = "";
      fold.open = true;
      fold.classList.add("is-folded");
      var expand = document.createElement("button");
      expand.type = "button";
      expand.className = "bbquote-expand";
      expand.textContent = "Click to expand…";
      expand.setAttribute("aria-expanded", "false");
      expand.addEventListener("click", function () {
        fold.classList.remove("is-folded");
        expand.remove();
      });
      fold.appendChild(expand);
    });
  }

  buildToolbars(document);
  foldQuotes(document);

  // htmx swaps an error, a preview or a draft's status in: 422 (a quick reply
  // refused) and a draft refused are answers to show, not failures to drop.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    var inEditor = target && target.closest && (target.closest(".editor") || target.classList.contains("editor"));
    if (inEditor && [400, 403, 422, 429].indexOf(status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.target;
    buildToolbars(document);
    foldQuotes(target);
    if (target.classList.contains("preview-box") && target.children.length) {
      target.scrollIntoView({ block: "nearest" });
    }
    var error = target.querySelector && target.querySelector(".is-invalid, .alert");
    if (error && target.closest(".reply-box")) error.scrollIntoView({ block: "center" });
  });

  var posts = document.querySelector(".posts[data-quotes-url]");
  function replyBox() { return document.querySelector(".reply-box textarea[name=body]"); }
  if (!posts || !replyBox()) return;

  var quotesUrl = posts.dataset.quotesUrl;
  var storageKey = "colloquy-multiquote-" + posts.dataset.threadId;
  // A bar fixed at the foot of the window while quotes are picked.
  var bar = document.createElement("div");
  bar.className = "multiquote-bar";
  bar.hidden = true;
  var insertButton = document.createElement("button");
  insertButton.type = "button";
  insertButton.className = "btn btn-primary shadow js-insert-quotes";
  bar.appendChild(insertButton);
  document.body.appendChild(bar);

  function fetchQuotes(ids) {
    var query = ids.map(function (id) { return "quote=" + encodeURIComponent(id); }).join("&");
    return fetch(quotesUrl + "?" + query, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("quote request failed: " + r.status);
      return r.text();
    });
  }

  function insertQuotes(ids, fallbackUrl) {
    return fetchQuotes(ids).then(function (text) {
      var box = replyBox();
      var value = box.value;
      var lead = value && !/\n$/.test(value.slice(0, box.selectionStart)) ? "\n" : "";
      insertAtCaret(box, lead + text, "");
      box.scrollIntoView({ block: "center" });
    }).catch(function () {
      if (fallbackUrl) window.location.href = fallbackUrl;
    });
  }

  function selectedIds() {
    try { return JSON.parse(sessionStorage.getItem(storageKey) || "[]"); }
    catch (error) { return []; }
  }

  function saveSelection(ids) {
    sessionStorage.setItem(storageKey, JSON.stringify(ids));
    document.querySelectorAll(".js-multiquote").forEach(function (button) {
      var on = ids.indexOf(button.dataset.postId) !== -1;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("active", on);
      button.textContent = on ? "− Quote" : "+ Quote";
    });
    bar.hidden = ids.length === 0;
    insertButton.textContent = "Insert quotes (" + ids.length + ")";
  }

  document.querySelectorAll(".js-multiquote").forEach(function (button) { button.hidden = false; });
  saveSelection(selectedIds());

  document.addEventListener("click", function (event) {
    var reply = event.target.closest(".js-reply");
    if (reply) {
      event.preventDefault();
      insertQuotes([reply.dataset.postId], reply.href);
      return;
    }
    var toggle = event.target.closest(".js-multiquote");
    if (toggle) {
      var ids = selectedIds();
      var at = ids.indexOf(toggle.dataset.postId);
      if (at === -1) ids.push(toggle.dataset.postId); else ids.splice(at, 1);
      saveSelection(ids);
      return;
    }
    if (event.target.closest(".js-insert-quotes")) {
      insertQuotes(selectedIds()).then(function () { saveSelection([]); });
    }
  });
})();
