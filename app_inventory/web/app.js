// Inventory page: reads window.INVENTORY_CONFIG (from config.js, written at deploy time) and shows
// the inventory from the HTTP API a page at a time, so it opens in about a second at any size:
//   #/              the stores with their item and low-stock counts (GET /stores)
//   #/store/NAME    one store's items, with a search by item-name prefix (GET /items/{store})
//   #/low           the items low on stock in every store (GET /items?low_stock=true)
// Each view asks for one page; "Show more" asks for the next. Nothing follows next_token to the
// end. Plain browser JavaScript, no build step. Data is only ever put in the page as text
// (textContent), never as HTML.
"use strict";

(function () {
  const PAGE_SIZE = 100;
  const REQUEST_TIMEOUT_MS = 20000;
  const SEARCH_DELAY_MS = 300;
  const DEFAULT_THRESHOLD = 5;

  const els = {
    body: document.body,
    showStores: document.getElementById("show-stores"),
    showLow: document.getElementById("show-low"),
    refresh: document.getElementById("refresh"),
    error: document.getElementById("error"),
    title: document.getElementById("view-title"),
    summary: document.getElementById("summary"),
    legend: document.getElementById("legend"),
    legendText: document.getElementById("legend-text"),
    search: document.getElementById("search"),
    prefix: document.getElementById("prefix"),
    status: document.getElementById("status"),
    empty: document.getElementById("empty"),
    inventory: document.getElementById("inventory"),
    more: document.getElementById("more"),
  };

  let config = null;
  // The view shown: {kind: "stores" | "store" | "low", store, prefix}, its rows so far and the
  // token of its next page. `seq` makes a newer request win over an older one still running.
  let view = null;
  let seq = 0;
  let searchTimer = null;
  // Store counts seen in the stores list, for the heading of a store's page.
  const knownStores = new Map();

  // ---------------------------------------------------------------- configuration

  function readConfig() {
    const raw = window.INVENTORY_CONFIG;
    if (!raw || typeof raw !== "object") return null;
    const apiUrl = typeof raw.apiUrl === "string" ? raw.apiUrl.trim().replace(/\/+$/, "") : "";
    if (!apiUrl) return null;
    let threshold = Number(raw.lowStockThreshold);
    if (raw.lowStockThreshold === undefined || raw.lowStockThreshold === null ||
        raw.lowStockThreshold === "" || !Number.isFinite(threshold) || threshold < 0) {
      threshold = DEFAULT_THRESHOLD;
    }
    return { apiUrl: apiUrl, threshold: threshold };
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {}

  function describeNetworkError(err) {
    if (err && err.name === "AbortError") {
      return "no answer within " + REQUEST_TIMEOUT_MS / 1000 + " seconds";
    }
    const text = err && err.message ? err.message : String(err);
    return text + " (the API is down, the address is wrong, or it does not allow this site's " +
      "origin: CORS)";
  }

  async function getJson(path, params) {
    const where = config.apiUrl + path;
    const url = where + "?" + params.toString();
    const controller = new AbortController();
    const timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    let response;
    let text;
    try {
      response = await fetch(url, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        signal: controller.signal,
      });
      text = await response.text();
    } catch (err) {
      throw new ApiError("Could not reach the inventory API at " + where + ": " +
        describeNetworkError(err) + ".");
    } finally {
      clearTimeout(timer);
    }

    let body = null;
    let isJson = true;
    try {
      body = JSON.parse(text);
    } catch (_err) {
      isJson = false;
    }

    if (!response.ok) {
      const status = "HTTP " + response.status + (response.statusText ? " " + response.statusText : "");
      let detail = "";
      if (isJson && body && typeof body.message === "string" && body.message) {
        detail = ": " + body.message;
      } else if (!isJson && text.trim()) {
        detail = ": " + text.trim().slice(0, 200);
      }
      throw new ApiError("The inventory API at " + where + " answered with an error, " +
        status + detail);
    }
    if (!isJson) {
      throw new ApiError("The inventory API at " + where + " answered with something that is " +
        "not JSON; check the API URL in config.js.");
    }
    return { where: where, body: body };
  }

  function isCount(value) {
    return typeof value === "number" && Number.isFinite(value);
  }

  function toItem(raw, where) {
    const ok = raw && typeof raw === "object" && typeof raw.store === "string" &&
      typeof raw.item === "string" && isCount(raw.count);
    if (!ok) {
      throw new ApiError("The inventory API at " + where + " answered with an unexpected item: " +
        JSON.stringify(raw).slice(0, 200));
    }
    return { store: raw.store, item: raw.item, count: raw.count };
  }

  function toStore(raw, where) {
    const ok = raw && typeof raw === "object" && typeof raw.store === "string" &&
      isCount(raw.items) && isCount(raw.low_items);
    if (!ok) {
      throw new ApiError("The inventory API at " + where + " answered with an unexpected store: " +
        JSON.stringify(raw).slice(0, 200));
    }
    return { store: raw.store, items: raw.items, lowItems: raw.low_items };
  }

  // One page of a listing: {rows, token}. `field` is "stores" or "items".
  async function fetchPage(path, query, token, field) {
    const params = new URLSearchParams(query);
    params.set("limit", String(PAGE_SIZE));
    if (token) params.set("next_token", token);
    const answer = await getJson(path, params);
    const body = answer.body;
    if (!body || typeof body !== "object" || !Array.isArray(body[field])) {
      throw new ApiError("The inventory API at " + answer.where + " answered without a \"" +
        field + "\" list.");
    }
    const convert = field === "stores" ? toStore : toItem;
    const rows = body[field].map(function (raw) { return convert(raw, answer.where); });
    const next = body.next_token;
    if (next !== null && next !== undefined && (typeof next !== "string" || next === token)) {
      throw new ApiError("The inventory API at " + answer.where + " answered with a bad " +
        "next_token: " + JSON.stringify(next));
    }
    return { rows: rows, token: next || null };
  }

  function request(v, token) {
    if (v.kind === "stores") return fetchPage("/stores", {}, token, "stores");
    if (v.kind === "low") return fetchPage("/items", { low_stock: "true" }, token, "items");
    const query = v.prefix ? { prefix: v.prefix } : {};
    return fetchPage("/items/" + encodeURIComponent(v.store), query, token, "items");
  }

  // ---------------------------------------------------------------- rendering helpers

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else if (key === "dataset") Object.assign(node.dataset, value);
        else node.setAttribute(key, value);
      }
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  function isLow(count) {
    return count < config.threshold;
  }

  function storeHref(store) {
    return "#/store/" + encodeURIComponent(store);
  }

  function lowBadge() {
    return el("span", { className: "badge badge--low", text: "Low stock" });
  }

  function headRow(columns) {
    return el("tr", null, columns.map(function (c) {
      return el("th", { scope: "col", className: c[0], text: c[1] });
    }));
  }

  function storeRow(s) {
    const low = el("td", { className: "col-low" }, [
      el("span", { className: "low-count", text: String(s.lowItems) }),
    ]);
    if (s.lowItems > 0) low.appendChild(lowBadge());
    return el("tr", {
      className: s.lowItems > 0 ? "store-row has-low" : "store-row",
      dataset: { store: s.store, items: String(s.items), lowItems: String(s.lowItems) },
    }, [
      el("th", { className: "col-store", scope: "row" }, [
        el("a", { className: "store-link", href: storeHref(s.store), text: s.store }),
      ]),
      el("td", { className: "col-count", text: String(s.items) }),
      low,
    ]);
  }

  function itemRow(it, withStore) {
    const low = isLow(it.count);
    const status = el("td", { className: "col-status" });
    if (low) status.appendChild(lowBadge());
    const cells = [
      el("th", { className: "col-item", scope: "row", text: it.item }),
      el("td", { className: "col-count", text: String(it.count) }),
      status,
    ];
    if (withStore) {
      cells.unshift(el("td", { className: "col-store" }, [
        el("a", { className: "store-link", href: storeHref(it.store), text: it.store }),
      ]));
    }
    return el("tr", {
      className: low ? "item-row low-stock" : "item-row",
      dataset: { store: it.store, item: it.item, count: String(it.count) },
    }, cells);
  }

  function tableFor(v) {
    if (v.kind === "stores") {
      return el("table", { className: "items stores" }, [
        el("caption", { className: "visually-hidden", text: "Stores" }),
        el("thead", null, [headRow([
          ["col-store", "Store"], ["col-count", "Items"], ["col-low", "Low stock"],
        ])]),
        el("tbody"),
      ]);
    }
    const withStore = v.kind === "low";
    const columns = [["col-item", "Item"], ["col-count", "Count"], ["col-status", "Status"]];
    if (withStore) columns.unshift(["col-store", "Store"]);
    const caption = withStore ? "Items low on stock in every store" : "Items in " + v.store;
    return el("table", { className: withStore ? "items low-items" : "items" }, [
      el("caption", { className: "visually-hidden", text: caption }),
      el("thead", null, [headRow(columns)]),
      el("tbody"),
    ]);
  }

  function appendRows(v, rows) {
    const body = els.inventory.querySelector("tbody");
    const make = v.kind === "stores" ? storeRow : function (it) {
      return itemRow(it, v.kind === "low");
    };
    const fragment = document.createDocumentFragment();
    for (const row of rows) fragment.appendChild(make(row));
    body.appendChild(fragment);
  }

  // ---------------------------------------------------------------- page states

  function setState(state) {
    els.body.dataset.state = state;
    const loading = state === "loading";
    els.inventory.setAttribute("aria-busy", loading ? "true" : "false");
    els.refresh.disabled = loading || state === "no-config";
    els.more.disabled = loading;
  }

  function showError(message) {
    els.error.textContent = message;
  }

  function describe(err) {
    return err instanceof ApiError ? err.message :
      "Could not show the inventory: " + (err && err.message ? err.message : String(err));
  }

  function titleFor(v) {
    if (v.kind === "stores") return "Stores";
    if (v.kind === "low") return "Low stock everywhere";
    return v.store;
  }

  function summaryFor(v) {
    const n = v.rows.length;
    const more = v.token ? " shown, more to load" : "";
    if (v.kind === "stores") {
      let items = 0;
      let low = 0;
      for (const s of v.rows) { items += s.items; low += s.lowItems; }
      return plural(n, "store", "stores") + more + ": " + plural(items, "item", "items") +
        ", " + low + " low on stock";
    }
    if (v.kind === "low") {
      return plural(n, "item", "items") + " low on stock" + more;
    }
    const known = knownStores.get(v.store);
    if (known && !v.prefix) {
      return plural(known.items, "item", "items") + " in " + v.store + ", " + known.lowItems +
        " low on stock" + (v.token ? "; " + n + " shown, more to load" : "");
    }
    const what = v.prefix ? " starting with \u201c" + v.prefix + "\u201d" : "";
    return plural(n, "item", "items") + what + more;
  }

  function emptyFor(v) {
    if (v.kind === "stores") {
      return "No stores in the inventory yet. Upload a CSV file (store,item,count) to the " +
        "upload bucket and refresh.";
    }
    if (v.kind === "low") return "No item is low on stock.";
    if (v.prefix) return "No item of " + v.store + " starts with \u201c" + v.prefix + "\u201d.";
    return "No items for store " + v.store + ".";
  }

  function showView(v) {
    els.body.dataset.view = v.kind;
    els.inventory.dataset.view = v.kind;
    els.inventory.dataset.scope = v.kind === "store" ? v.store : "";
    els.inventory.dataset.prefix = v.prefix || "";
    els.title.textContent = titleFor(v);
    els.search.hidden = v.kind !== "store";
    els.legendText.textContent = "means fewer than " + config.threshold + " left.";
    els.legend.hidden = false;
    for (const link of [els.showStores, els.showLow]) link.removeAttribute("aria-current");
    if (v.kind === "stores") els.showStores.setAttribute("aria-current", "page");
    if (v.kind === "low") els.showLow.setAttribute("aria-current", "page");
  }

  function renderAnswer(v) {
    els.summary.textContent = summaryFor(v);
    els.more.hidden = !v.token;
    els.more.textContent = v.kind === "stores" ? "Show more stores" : "Show more items";
    if (v.rows.length === 0) {
      els.empty.textContent = emptyFor(v);
      els.empty.hidden = false;
    } else {
      els.empty.hidden = true;
      els.empty.textContent = "";
    }
    els.status.textContent = "Updated at " + new Date().toLocaleTimeString() + ".";
    setState(v.rows.length === 0 ? "empty" : "ready");
  }

  // First page of a view: replaces whatever was shown.
  async function open(v) {
    const mine = ++seq;
    view = { kind: v.kind, store: v.store || "", prefix: v.prefix || "", rows: [], token: null };
    showView(view);
    showError("");
    els.more.hidden = true;
    els.status.textContent = view.kind === "store" ? "Loading the items of " + view.store + "…" :
      view.kind === "low" ? "Loading the items low on stock…" : "Loading the stores…";
    setState("loading");
    try {
      const page = await request(view, null);
      if (mine !== seq) return; // a newer request has started; its answer wins
      view.rows = page.rows;
      view.token = page.token;
      if (view.kind === "stores") {
        for (const s of page.rows) knownStores.set(s.store, s);
      }
      els.inventory.replaceChildren(el("div", { className: "table-wrap" }, [tableFor(view)]));
      appendRows(view, page.rows);
      renderAnswer(view);
    } catch (err) {
      if (mine !== seq) return;
      els.inventory.replaceChildren();
      els.summary.textContent = "";
      els.empty.hidden = true;
      showError(describe(err));
      els.status.textContent = "";
      setState("error");
    }
  }

  // The next page of the view shown: added below what is there.
  async function more() {
    if (!view || !view.token) return;
    const mine = ++seq;
    const v = view;
    showError("");
    els.status.textContent = "Loading more…";
    setState("loading");
    try {
      const page = await request(v, v.token);
      if (mine !== seq || v !== view) return;
      v.rows = v.rows.concat(page.rows);
      v.token = page.token;
      if (v.kind === "stores") {
        for (const s of page.rows) knownStores.set(s.store, s);
      }
      appendRows(v, page.rows);
      renderAnswer(v);
    } catch (err) {
      if (mine !== seq) return;
      // What is shown stays; the button stays, so the user can try again.
      showError(describe(err));
      els.status.textContent = "";
      setState("error");
    }
  }

  // ---------------------------------------------------------------- navigation

  function viewFromHash() {
    const hash = window.location.hash || "";
    if (hash === "#/low") return { kind: "low" };
    if (hash.startsWith("#/store/")) {
      let store = "";
      try {
        store = decodeURIComponent(hash.slice("#/store/".length));
      } catch (_err) {
        store = "";
      }
      if (store) return { kind: "store", store: store, prefix: "" };
    }
    return { kind: "stores" };
  }

  function openFromHash(event) {
    clearTimeout(searchTimer);
    const v = viewFromHash();
    els.prefix.value = "";
    if (event) {
      // A new view starts at its top, and keyboard and screen-reader users land on its title.
      window.scrollTo(0, 0);
      els.title.focus({ preventScroll: true });
    }
    open(v);
  }

  function onSearchInput() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      if (!view || view.kind !== "store") return;
      const prefix = els.prefix.value;
      if (prefix === view.prefix) return;
      open({ kind: "store", store: view.store, prefix: prefix });
    }, SEARCH_DELAY_MS);
  }

  // ---------------------------------------------------------------- start

  function start() {
    els.search.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(searchTimer);
      if (view && view.kind === "store") {
        open({ kind: "store", store: view.store, prefix: els.prefix.value });
      }
    });
    config = readConfig();
    if (!config) {
      setState("no-config");
      els.more.hidden = true;
      showError("This site has no configuration: config.js is missing or has no apiUrl, so the " +
        "page does not know where the inventory API is. Deploy the stack again (Terraform " +
        "writes config.js next to index.html).");
      return;
    }
    window.addEventListener("hashchange", openFromHash);
    els.prefix.addEventListener("input", onSearchInput);
    els.refresh.addEventListener("click", function () {
      if (view) open({ kind: view.kind, store: view.store, prefix: view.prefix });
    });
    els.more.addEventListener("click", more);
    openFromHash(null);
  }

  start();
})();
