/* Kilas search: progressive enhancement of the search page (cari/).
   The index is one Pagefind bundle per shard (a year, or months of a year)
   in ../../pagefind/<shard>/ relative to this file, so it works at a site's
   root and under a path prefix. The newest shard is loaded, the others are
   merged into it. Only search.html loads this file.
   A result shows its date, source and category, and an excerpt of the
   item's text (not its headline), cut at word boundaries. An item and its
   translations are one result (both languages linked): the pages of one
   item share the filter `translation_of`, and the count folds them. */
(function () {
  "use strict";
  var script = document.currentScript;
  var form = document.getElementById("search-form");
  if (!script || !form || !window.URL || !("noModule" in script)) return;

  var shards = (form.dataset.shards || "").split(" ").filter(Boolean);
  function shard(name) {
    return new URL("../../pagefind/" + name + "/", script.src).href;
  }
  var input = document.getElementById("search-q");
  var selects = form.querySelectorAll("select[data-filter]");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var failed = document.getElementById("search-failed");
  var details = document.getElementById("search-filters");
  var summary = details && details.querySelector("summary");
  var summaryText = summary ? summary.textContent : "";
  var msg = form.dataset;
  var pageSize = 10;
  var pagefind = null;
  var results = [];
  var shown = 0;
  var listed = {};  // items already listed in this search, by address
  var pages = {};  // pages of this search per item (translation_of counts)
  var pending = [];  // translations held back while their original may come
  var run = 0;
  var excerptWords = 30;
  var timer = null;

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }

  function filters() {
    var chosen = {};
    selects.forEach(function (select) {
      if (select.value) chosen[select.dataset.filter] = select.value;
    });
    return chosen;
  }

  function excerpt(item) {
    // The item's text after its headline (Pagefind's content starts with
    // it), around the first match, whole words only, matches marked.
    var words = (item.content || "").split(/\s+/);
    var skip = ((item.meta && item.meta.title) || "").split(/\s+/).filter(Boolean).length;
    var hits = (item.locations || []).filter(function (at) { return at >= skip; });
    var marked = {};
    hits.forEach(function (at) { marked[at] = true; });
    var start = Math.max(skip, (hits.length ? hits[0] : skip) - Math.floor(excerptWords / 3));
    var end = Math.min(words.length, start + excerptWords);
    start = Math.max(skip, Math.min(start, end - excerptWords));
    var p = document.createElement("p");
    p.className = "search-excerpt";
    if (start > skip) p.appendChild(document.createTextNode("… "));
    for (var at = start; at < end; at++) {
      if (at > start) p.appendChild(document.createTextNode(" "));
      if (marked[at]) {
        var mark = document.createElement("mark");
        mark.textContent = words[at];
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(words[at]));
      }
    }
    if (end < words.length) p.appendChild(document.createTextNode(" …"));
    return p;
  }

  function link(url, text, lang) {
    var a = document.createElement("a");
    a.href = url;
    a.textContent = text;
    if (lang && lang !== document.documentElement.lang) {
      a.lang = lang;
      a.hreflang = lang;
    }
    return a;
  }

  function translationsOf(meta) {
    try {
      return JSON.parse(meta.translations || "[]");
    } catch (error) {
      return [];
    }
  }

  function render(item) {
    // One result per item: a translation that matched stands for its original.
    var meta = item.meta || {};
    var original = meta.original || item.url;
    if (listed[original]) return null;
    listed[original] = true;
    var site = document.documentElement.lang;
    var li = document.createElement("li");
    var h2 = document.createElement("h2");
    if (meta.original) {
      h2.appendChild(link(meta.original, meta.original_title || meta.original, site));
    } else {
      h2.appendChild(link(item.url, meta.title || item.url, meta.lang));
    }
    li.appendChild(h2);
    var line = document.createElement("p");
    line.className = "meta";
    [["time", meta.date], ["span", meta.category], ["span", meta.source]].forEach(function (part) {
      if (!part[1]) return;
      var node = document.createElement(part[0]);
      node.textContent = part[1];
      if (part[0] === "time" && meta.datetime) node.dateTime = meta.datetime;
      if (line.firstChild) line.appendChild(document.createTextNode(" "));
      line.appendChild(node);
    });
    li.appendChild(line);
    var text = excerpt(item);
    if (meta.lang && meta.lang !== site) text.lang = meta.lang;
    li.appendChild(text);
    var others = meta.original
      ? [{ lang: meta.lang, language: meta.language, url: item.url, title: meta.title }]
      : translationsOf(meta);
    others.forEach(function (other) {
      var p = document.createElement("p");
      p.className = "search-translation";
      var label = other.language || other.lang;
      p.appendChild(document.createTextNode(say(msg.msgAlso, { language: label }) + " "));
      p.appendChild(link(other.url, other.title, other.lang));
      li.appendChild(p);
    });
    return li;
  }

  function showMore(current) {
    var page = results.slice(shown, shown + pageSize);
    shown += page.length;
    more.hidden = shown >= results.length;
    return Promise.all(page.map(function (r) { return r.data(); }))
      .then(function (items) {
        if (current !== run) return;
        items.forEach(function (item) {
          // A translation whose item matched too waits: the original
          // (in the site's language) is listed with a link to it.
          var original = item.meta && item.meta.original;
          if (original && (pages[original] || 0) > 1 && !listed[original]) {
            pending.push(item);
            return;
          }
          var li = render(item);
          if (li) list.appendChild(li);
        });
        if (shown >= results.length) {
          pending.splice(0).forEach(function (item) {
            var li = render(item);
            if (li) list.appendChild(li);
          });
        }
      });
  }

  function folded(found) {
    // Pages of one item (an original and its translations) count once.
    var counts = (found.filters && found.filters.translation_of) || {};
    var extra = 0;
    Object.keys(counts).forEach(function (key) {
      extra += Math.max(0, counts[key] - 1);
    });
    return found.results.length - extra;
  }

  function remember(query, chosen) {
    var params = new URLSearchParams();
    if (query) params.set("q", query);
    Object.keys(chosen).forEach(function (key) { params.set(key, chosen[key]); });
    var search = params.toString();
    history.replaceState(null, "", search ? "?" + search : location.pathname);
  }

  function search() {
    var current = ++run;
    var query = input.value.trim();
    var chosen = filters();
    remember(query, chosen);
    list.textContent = "";
    more.hidden = true;
    results = [];
    shown = 0;
    listed = {};
    pages = {};
    pending = [];
    showFilterCount(chosen);
    if (!query && !Object.keys(chosen).length) {
      status.textContent = "";
      return;
    }
    status.textContent = msg.msgSearching;
    pagefind.search(query || null, { filters: chosen }).then(function (found) {
      if (current !== run) return;
      results = found.results;
      pages = (found.filters && found.filters.translation_of) || {};
      var count = folded(found);
      status.textContent = say(count ? msg.msgCount : msg.msgNone, {
        count: count.toLocaleString(document.documentElement.lang),
        query: query,
      });
      return showMore(current);
    });
  }

  function fillFilters(available) {
    selects.forEach(function (select) {
      var values = available[select.dataset.filter] || {};
      Object.keys(values).sort(function (a, b) {
        return a.localeCompare(b, document.documentElement.lang);
      }).forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = say(msg.msgOption, { name: value, count: values[value] });
        select.appendChild(option);
      });
    });
  }

  function showFilterCount(chosen) {
    if (!summary) return;
    var on = Object.keys(chosen).length;
    summary.textContent = on ? say(msg.msgFiltered, { count: on }) : summaryText;
  }

  function restore() {
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    selects.forEach(function (select) {
      var value = params.get(select.dataset.filter);
      if (value && select.querySelector('option[value="' + CSS.escape(value) + '"]')) {
        select.value = value;
      }
    });
  }

  if (!shards.length) {
    failed.hidden = false;
    return;
  }
  import(shard(shards[0]) + "pagefind.js").then(function (module) {
    pagefind = module;
    return pagefind.options({ ranking: JSON.parse(msg.ranking || "{}") });
  }).then(function () {
    return Promise.all(shards.slice(1).map(function (name) {
      return pagefind.mergeIndex(shard(name));
    }));
  }).then(function () {
    return pagefind.filters();
  }).then(function (available) {
    fillFilters(available);
    form.hidden = false;
    restore();
    // The filters are folded on a phone, open on a wider screen or when set.
    if (details && (window.matchMedia("(min-width: 40rem)").matches ||
        Object.keys(filters()).length)) {
      details.open = true;
    }
    showFilterCount(filters());
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      search();
    });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 300);
    });
    selects.forEach(function (select) {
      select.addEventListener("change", search);
    });
    more.addEventListener("click", function () { showMore(run); });
    if (input.value || Object.keys(filters()).length) search();
  }).catch(function () {
    failed.hidden = false;
  });
})();
