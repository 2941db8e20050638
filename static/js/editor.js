/* Colloquy editor: a BBCode toolbar over post textareas, reply-with-quote into the
   quick reply box at the caret, and multi-quote. Everything here is an enhancement:
   without JavaScript the Reply links open the reply page with the quote filled in. */
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

  document.querySelectorAll("form[data-editor] textarea[name=body]").forEach(buildToolbar);

  var posts = document.querySelector(".posts[data-quotes-url]");
  var box = document.querySelector(".reply-box textarea[name=body]");
  if (!posts || !box) return;

  var quotesUrl = posts.dataset.quotesUrl;
  var storageKey = "colloquy-multiquote-" + posts.dataset.threadId;
  var insertButton = document.querySelector(".reply-box .js-insert-quotes");

  function fetchQuotes(ids) {
    var query = ids.map(function (id) { return "quote=" + encodeURIComponent(id); }).join("&");
    return fetch(quotesUrl + "?" + query, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("quote request failed: " + r.status);
      return r.text();
    });
  }

  function insertQuotes(ids, fallbackUrl) {
    return fetchQuotes(ids).then(function (text) {
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
    if (insertButton) {
      insertButton.hidden = ids.length === 0;
      insertButton.textContent = "Insert quotes (" + ids.length + ")";
    }
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
