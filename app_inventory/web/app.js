// Inventory page: reads window.INVENTORY_CONFIG (from config.js, written at deploy time), loads
// the inventory from the HTTP API and shows it grouped by store, low stock highlighted.
// Plain browser JavaScript, no build step. Data is only ever put in the page as text
// (textContent, new Option), never as HTML.
"use strict";

(function () {
  const PAGE_SIZE = 100;
  const MAX_PAGES = 10000;
  const REQUEST_TIMEOUT_MS = 20000;
  const DEFAULT_THRESHOLD = 5;

  const els = {
    body: document.body,
    controls: document.getElementById("controls"),
    filter: document.getElementById("store-filter"),
    refresh: document.getElementById("refresh"),
    error: document.getElementById("error"),
    summary: document.getElementById("summary"),
    legend: document.getElementById("legend"),
    legendText: document.getElementById("legend-text"),
    status: document.getElementById("status"),
    empty: document.getElementById("empty"),
    inventory: document.getElementById("inventory"),
  };

  let config = null;
  let loadSeq = 0;

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
    const url = params ? where + "?" + params.toString() : where;
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

  function toItem(raw, where) {
    const ok = raw && typeof raw === "object" && typeof raw.store === "string" &&
      typeof raw.item === "string" && raw.count !== null && raw.count !== "" &&
      Number.isFinite(Number(raw.count));
    if (!ok) {
      throw new ApiError("The inventory API at " + where + " answered with an unexpected item: " +
        JSON.stringify(raw).slice(0, 200));
    }
    return { store: raw.store, item: raw.item, count: Number(raw.count) };
  }

  // Follows next_token until the API says there is no more.
  async function fetchAll(path) {
    const items = [];
    const seenTokens = new Set();
    let token = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (token) params.set("next_token", token);
      const answer = await getJson(path, params);
      const body = answer.body;
      if (!body || typeof body !== "object" || !Array.isArray(body.items)) {
        throw new ApiError("The inventory API at " + answer.where + " answered without an " +
          "\"items\" list.");
      }
      for (const raw of body.items) items.push(toItem(raw, answer.where));
      token = body.next_token;
      if (token === null || token === undefined || token === "") return items;
      if (typeof token !== "string" || seenTokens.has(token)) {
        throw new ApiError("The inventory API at " + answer.where + " answered with a bad " +
          "next_token: " + JSON.stringify(token));
      }
      seenTokens.add(token);
    }
    throw new ApiError("The inventory API at " + config.apiUrl + path + " returned more than " +
      MAX_PAGES + " pages.");
  }

  // ---------------------------------------------------------------- rendering helpers

  // Case-insensitive, then exact, so the order is stable and easy to reproduce in tests.
  function compareNames(a, b) {
    const la = a.toLowerCase();
    const lb = b.toLowerCase();
    if (la !== lb) return la < lb ? -1 : 1;
    if (a !== b) return a < b ? -1 : 1;
    return 0;
  }

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

  function groupByStore(items) {
    const groups = new Map();
    for (const it of items) {
      if (!groups.has(it.store)) groups.set(it.store, []);
      groups.get(it.store).push(it);
    }
    const stores = Array.from(groups.keys()).sort(compareNames);
    return stores.map(function (store) {
      const rows = groups.get(store).slice().sort(function (a, b) {
        return compareNames(a.item, b.item);
      });
      return { store: store, rows: rows };
    });
  }

  function renderRow(it) {
    const low = isLow(it.count);
    const status = el("td", { className: "col-status" });
    if (low) status.appendChild(el("span", { className: "badge badge--low", text: "Low stock" }));
    return el("tr", {
      className: low ? "item-row low-stock" : "item-row",
      dataset: { store: it.store, item: it.item, count: String(it.count) },
    }, [
      el("td", { className: "col-store", text: it.store }),
      el("th", { className: "col-item", scope: "row", text: it.item }),
      el("td", { className: "col-count", text: String(it.count) }),
      status,
    ]);
  }

  function renderGroup(group, index) {
    const lowCount = group.rows.filter(function (it) { return isLow(it.count); }).length;
    const headingId = "store-heading-" + index;
    const meta = plural(group.rows.length, "item", "items") +
      (lowCount ? ", " + lowCount + " low on stock" : "");
    const head = el("tr", null, [
      el("th", { scope: "col", className: "col-store", text: "Store" }),
      el("th", { scope: "col", className: "col-item", text: "Item" }),
      el("th", { scope: "col", className: "col-count", text: "Count" }),
      el("th", { scope: "col", className: "col-status", text: "Status" }),
    ]);
    return el("section", {
      className: "store-group",
      dataset: { store: group.store },
      "aria-labelledby": headingId,
    }, [
      el("header", { className: "store-group__header" }, [
        el("h2", { id: headingId, className: "store-group__name", text: group.store }),
        el("p", { className: "store-group__meta", text: meta }),
      ]),
      el("div", { className: "table-wrap" }, [
        el("table", { className: "items" }, [
          el("caption", { className: "visually-hidden", text: "Items in " + group.store }),
          el("thead", null, [head]),
          el("tbody", null, group.rows.map(renderRow)),
        ]),
      ]),
    ]);
  }

  function setStoreOptions(stores) {
    const selected = els.filter.value;
    const names = Array.from(new Set(stores)).sort(compareNames);
    if (selected && names.indexOf(selected) === -1) names.push(selected);
    while (els.filter.options.length > 1) els.filter.remove(1);
    for (const name of names) els.filter.add(new Option(name, name));
    els.filter.value = selected;
  }

  // ---------------------------------------------------------------- page states

  function setState(state) {
    els.body.dataset.state = state;
    const loading = state === "loading";
    els.inventory.setAttribute("aria-busy", loading ? "true" : "false");
    els.refresh.disabled = loading || state === "no-config";
    els.filter.disabled = state === "no-config";
  }

  function showError(message) {
    els.error.textContent = message;
  }

  function clearResults() {
    els.inventory.replaceChildren();
    els.summary.textContent = "";
    els.legend.hidden = true;
    els.empty.hidden = true;
    els.empty.textContent = "";
  }

  function render(items, store) {
    const groups = groupByStore(items);
    const lowCount = items.filter(function (it) { return isLow(it.count); }).length;
    els.inventory.replaceChildren.apply(els.inventory, groups.map(renderGroup));
    els.inventory.dataset.scope = store;

    const where = store ? "in " + store : "in " + plural(groups.length, "store", "stores");
    els.summary.textContent = plural(items.length, "item", "items") + " " + where + ", " +
      lowCount + " low on stock";
    els.legendText.textContent = "means fewer than " + config.threshold + " left.";
    els.legend.hidden = false;

    if (items.length === 0) {
      els.empty.textContent = store
        ? "No items for store " + store + "."
        : "No items in the inventory yet. Upload a CSV file (store,item,count) to the upload " +
          "bucket and refresh.";
      els.empty.hidden = false;
    } else {
      els.empty.hidden = true;
      els.empty.textContent = "";
    }
    setState(items.length === 0 ? "empty" : "ready");
  }

  async function load() {
    if (!config) return;
    const seq = ++loadSeq;
    const store = els.filter.value;
    setState("loading");
    showError("");
    els.status.textContent = store ? "Loading the inventory of " + store + "…" :
      "Loading the inventory…";
    try {
      const path = store ? "/items/" + encodeURIComponent(store) : "/items";
      const items = await fetchAll(path);
      if (seq !== loadSeq) return; // a newer load has started; its answer wins
      if (!store) setStoreOptions(items.map(function (it) { return it.store; }));
      render(items, store);
      els.status.textContent = "Updated at " + new Date().toLocaleTimeString() + ".";
    } catch (err) {
      if (seq !== loadSeq) return;
      clearResults();
      els.inventory.dataset.scope = store;
      showError(err instanceof ApiError ? err.message :
        "Could not show the inventory: " + (err && err.message ? err.message : String(err)));
      els.status.textContent = "";
      setState("error");
    }
  }

  // ---------------------------------------------------------------- start

  function start() {
    els.controls.addEventListener("submit", function (event) { event.preventDefault(); });
    config = readConfig();
    if (!config) {
      setState("no-config");
      showError("This site has no configuration: config.js is missing or has no apiUrl, so the " +
        "page does not know where the inventory API is. Deploy the stack again (Terraform " +
        "writes config.js next to index.html).");
      return;
    }
    els.filter.addEventListener("change", load);
    els.refresh.addEventListener("click", load);
    load();
  }

  start();
})();
