/* Kilas search: progressive enhancement of the search page (cari/).
   The index is one Pagefind bundle per shard (a year, or months of a year)
   in ../../pagefind/<shard>/ relative to this file, so it works at a site's
   root and under a path prefix. The newest shard is loaded, the others are
   merged into it. Only search.html loads this file. */
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
  var msg = form.dataset;
  var pageSize = 10;
  var pagefind = null;
  var results = [];
  var shown = 0;
  var run = 0;
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

  function excerpt(html) {
    // Pagefind marks matches with <mark>; keep those, treat the rest as text.
    var p = document.createElement("p");
    html.split(/(<mark>[\s\S]*?<\/mark>)/).forEach(function (part) {
      var match = /^<mark>([\s\S]*)<\/mark>$/.exec(part);
      var text = (match ? match[1] : part).replace(/&(lt|gt|quot|#39|amp);/g,
        function (all, name) {
          return { lt: "<", gt: ">", quot: '"', "#39": "'", amp: "&" }[name];
        });
      if (match) {
        var mark = document.createElement("mark");
        mark.textContent = text;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(text));
      }
    });
    return p;
  }

  function showMore(current) {
    var page = results.slice(shown, shown + pageSize);
    shown += page.length;
    more.hidden = shown >= results.length;
    return Promise.all(page.map(function (r) { return r.data(); }))
      .then(function (items) {
        if (current !== run) return;
        items.forEach(function (item) {
          var li = document.createElement("li");
          var h2 = document.createElement("h2");
          var a = document.createElement("a");
          a.href = item.url;
          a.textContent = (item.meta && item.meta.title) || item.url;
          h2.appendChild(a);
          li.appendChild(h2);
          li.appendChild(excerpt(item.excerpt || ""));
          list.appendChild(li);
        });
      });
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
    if (!query && !Object.keys(chosen).length) {
      status.textContent = "";
      return;
    }
    status.textContent = msg.msgSearching;
    pagefind.search(query || null, { filters: chosen }).then(function (found) {
      if (current !== run) return;
      results = found.results;
      status.textContent = say(results.length ? msg.msgCount : msg.msgNone, {
        count: results.length.toLocaleString(document.documentElement.lang),
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
