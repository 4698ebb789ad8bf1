// filon dashboard: hash-routed views over the REST API. No build step, no network beyond this server.
const $ = (sel, root = document) => root.querySelector(sel);
const view = () => $("#view");
const state = { lang: localStorage.getItem("filon-lang") || "en", dict: {}, session: null, map: null };

const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const t = (key) => state.dict[key] ?? key;
const fmt = (n) => (n == null ? "-" : Number(n).toLocaleString(state.lang, { maximumFractionDigits: 0 }));

async function loadLang(lang) {
  state.lang = lang;
  localStorage.setItem("filon-lang", lang);
  state.dict = await (await fetch(`/static/i18n/${lang}.json`)).json();
  document.documentElement.lang = lang;
  $("#lang").textContent = lang === "en" ? "ES" : "EN";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.body) headers["Content-Type"] = "application/json";
  if (state.session && options.method && options.method !== "GET") headers["X-CSRF-Token"] = state.session.csrf_token;
  const r = await fetch(path, { ...options, headers, credentials: "same-origin" });
  if (r.status === 401 && !path.endsWith("/login")) { state.session = null; location.hash = "#/login"; throw new Error("401"); }
  const data = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
  if (!r.ok) { const err = new Error(data.detail || r.statusText); err.status = r.status; throw err; }
  return data;
}

function showError(err) {
  view().innerHTML = `<p class="error" id="error">${esc(err.status === 403 ? t("forbidden") : "")} ${esc(err.message)}</p>`;
}

const bars = (counts) => {
  const max = Math.max(1, ...Object.values(counts));
  return `<table>${Object.entries(counts).map(([k, v]) => `<tr><td>${esc(t(k))}</td><td><span class="bar" style="width:${(120 * v) / max}px"></span>${v}</td></tr>`).join("")}</table>`;
};

async function overview() {
  const o = await api("/api/overview");
  const canRun = ["supervisor", "admin"].includes(state.session.role);
  view().innerHTML = `<h1>${t("nav_overview")}</h1>
  ${o.analysis.results ? "" : `<p class="muted">${t("no_results")}</p>`}
  ${canRun ? `<p><button id="run">${t("run_analysis")}</button> <span id="job">${t("analysis_state")}: ${esc(o.analysis.job)}</span></p>` : ""}
  <div class="cards">
   <div class="card" id="scope"><h3>${t("in_scope")}</h3><p>${t("total")}: <b>${o.in_scope.total}</b> · ${t("value_at_risk")}: ${fmt(o.in_scope.value_at_risk_usd)}</p>
     <h4>${t("by_status")}</h4>${bars(o.in_scope.by_status)}<h4>${t("by_typology")}</h4>${bars(o.in_scope.by_typology)}</div>
   <div class="card" id="region"><h3>${t("region")}</h3><p>${t("total")}: <b>${o.region.total}</b></p>
     <h4>${t("by_country")}</h4>${bars(o.region.by_country)}<h4>${t("by_month")}</h4>${bars(o.region.by_month)}</div>
  </div>`;
  $("#run")?.addEventListener("click", async () => {
    await api("/api/analysis", { method: "POST" }).catch((e) => alert(e.message));
    const poll = setInterval(async () => {
      const s = await api("/api/analysis");
      const el = $("#job"); if (el) el.textContent = `${t("analysis_state")}: ${s.state} ${s.messages.at(-1) || ""}`;
      if (s.state !== "running") clearInterval(poll);
    }, 1000);
  });
}

async function alertsList(params) {
  const q = new URLSearchParams(params);
  if (!q.has("limit")) q.set("limit", "25");
  const page = await api(`/api/alerts?${q}`);
  const sel = (name, values) => `<select name="${name}"><option value="">${t("any")}</option>${values.map((v) => `<option ${q.get(name) === v ? "selected" : ""} value="${v}">${esc(t(v))}</option>`).join("")}</select>`;
  const countries = state.session.countries || ["PE", "CO", "BO", "EC"];
  view().innerHTML = `<h1>${t("nav_alerts")}</h1>
  <form class="filters" id="filters">
   <label>${t("typology")}<input name="typology" value="${esc(q.get("typology") || "")}" size="22"></label>
   <label>${t("country")}${sel("country", countries)}</label>
   <label>${t("period")}<input name="period" value="${esc(q.get("period") || "")}" size="8" placeholder="2023"></label>
   <label>${t("min_score")}<input name="min_score" type="number" min="0" max="1" step="0.05" value="${esc(q.get("min_score") || "")}"></label>
   <label>${t("status")}${sel("status", ["new", "reviewing", "escalated", "dismissed", "confirmed"])}</label>
   <label>${t("search")}<input name="q" value="${esc(q.get("q") || "")}"></label>
   <button type="submit">${t("apply")}</button>
   <a href="/api/alerts/export?${q}&format=csv">${t("export")} CSV</a> <a href="/api/alerts/export?${q}&format=parquet">Parquet</a> <a href="/api/alerts/export?${q}&format=geojson">GeoJSON</a>
  </form>
  <p id="count">${page.total} ${t("alerts").toLowerCase()} · ${page.offset + 1}–${page.offset + page.items.length}</p>
  <table id="alerts"><tr><th>${t("score")}</th><th>${t("typology")}</th><th>${t("subject")}</th><th>${t("country")}</th><th>${t("period")}</th><th>${t("value_at_risk")}</th><th>${t("status")}</th></tr>
  ${page.items.map((a) => `<tr class="row" data-id="${esc(a.alert_id)}"><td>${a.score.toFixed(2)}</td><td>${esc(a.typology)}</td><td>${esc(a.subject_id)}</td><td>${esc(a.country)}</td><td>${esc(a.period)}</td><td>${fmt(a.value_at_risk_usd)}</td><td><span class="status status-${esc(a.triage.status)}">${esc(t(a.triage.status))}</span></td></tr>`).join("")}</table>
  <p><button id="prev" ${page.offset ? "" : "disabled"}>${t("prev")}</button> <button id="next" ${page.next_offset == null ? "disabled" : ""}>${t("next")}</button></p>`;
  const go = (changes) => { const n = new URLSearchParams(q); Object.entries(changes).forEach(([k, v]) => (v === "" || v == null ? n.delete(k) : n.set(k, v))); location.hash = `#/alerts?${n}`; };
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); go({ ...Object.fromEntries(new FormData(e.target)), offset: "" }); });
  $("#prev").addEventListener("click", () => go({ offset: Math.max(0, page.offset - page.limit) }));
  $("#next").addEventListener("click", () => go({ offset: page.next_offset }));
  document.querySelectorAll("tr.row").forEach((tr) => tr.addEventListener("click", () => { location.hash = `#/alert/${tr.dataset.id}`; }));
}

async function alertDetail(id) {
  const a = await api(`/api/alerts/${encodeURIComponent(id)}`);
  const statuses = ["new", "reviewing", "escalated", "dismissed", "confirmed"];
  view().innerHTML = `<h1>${esc(a.typology)} — ${esc(a.subject_id)}</h1>
  <p>${esc(a.country)} · ${esc(a.period)} · ${t("score")} ${a.score.toFixed(2)} · ${t("value_at_risk")} ${fmt(a.value_at_risk_usd)}</p>
  <p id="explanation">${esc(a.explanation)}</p>
  <p>${a.actors.map((x) => `<a href="#/entity/${esc(x)}">${t("entity")} ${esc(x)}</a>`).join(" · ")}
   ${a.has_geometry ? ` · <a href="#/map?alert=${esc(a.alert_id)}">${t("show_on_map")}</a>` : ""} · <a href="/dossier/${esc(a.alert_id)}" target="_blank">${t("dossier")}</a></p>
  <form class="triage" id="triage"><h3>${t("triage")}</h3>
   <label>${t("status")} <select name="status">${statuses.map((s) => `<option value="${s}" ${a.triage.status === s ? "selected" : ""}>${t(s)}</option>`).join("")}</select></label>
   <label>${t("assignee")} <input name="assignee" value="${esc(a.triage.assignee || "")}"></label>
   <label>${t("note")} <input name="note" size="50"></label> <button type="submit">${t("save")}</button> <span id="triage-msg"></span>
  </form>
  <h3>${t("notes")}</h3>${a.notes.map((n) => `<p><b>${esc(n.author)}</b> <span class="muted">${esc(n.created_at)}</span><br>${esc(n.text)}</p>`).join("") || "-"}
  <h3>${t("history")}</h3><table>${a.history.map((h) => `<tr><td>${esc(h.at)}</td><td>${esc(h.username)}</td><td>${esc(h.detail)}</td></tr>`).join("")}</table>
  <h3>${t("lineage")}</h3><table><tr><th>${t("table")}</th><th>${t("record")}</th><th>${t("file")}</th><th>${t("row")}</th><th>${t("batch")}</th></tr>
  ${a.lineage.map((s) => `<tr><td>${esc(s.table)}</td><td>${esc(s.record_id)}</td><td>${esc(s.file)}</td><td>${esc(s.row)}</td><td>${esc(s.batch_id)}</td></tr>`).join("")}</table>
  <h3>${t("evidence")}</h3><pre>${esc(JSON.stringify(a.evidence, null, 1))}</pre>`;
  $("#triage").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(e.target));
    try {
      await api(`/api/alerts/${encodeURIComponent(id)}/triage`, { method: "PUT", body: JSON.stringify({ status: f.status, assignee: f.assignee, note: f.note || null }) });
      await alertDetail(id); $("#triage-msg").textContent = t("saved");
    } catch (err) { $("#triage-msg").textContent = err.message; }
  });
}

async function entity(id) {
  const [e, svg] = await Promise.all([api(`/api/entities/${encodeURIComponent(id)}`), api(`/api/entities/${encodeURIComponent(id)}/network.svg`)]);
  const rows = (list, cols) => `<table><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>${list.map((r) => `<tr>${cols.map((c) => `<td>${esc(r[c])}</td>`).join("")}</tr>`).join("")}</table>`;
  view().innerHTML = `<h1>${esc(e.record.name)} <span class="muted">${esc(e.record.actor_id)}</span></h1>
  <p>${esc(e.record.country)} · ${esc(e.record.kind)} · ${esc(e.record.roles)} · ${esc(e.record.tax_id)}</p>
  <h3>${t("network")}</h3><div id="network">${svg}</div>
  <h3>${t("alerts")}</h3><ul>${e.alerts.map((a) => `<li><a href="#/alert/${esc(a.alert_id)}">${esc(a.typology)} ${esc(a.period)}</a> — ${esc(a.explanation)}</li>`).join("")}</ul>
  <h3>${t("owners")}</h3>${rows(e.owners, ["owner_id", "owner_name", "share_pct", "control_kind", "start_date"])}
  <h3>${t("holdings")}</h3>${rows(e.holdings, ["subject_id", "subject_name", "share_pct", "control_kind", "start_date"])}
  <h3>${t("trades")}</h3>${rows(e.trades, ["flow", "counterparty_id", "counterparty_name", "records", "fine_kg", "value_usd"])}
  <h3>${t("exports")}</h3><p>${fmt(e.export_totals.declarations)} · ${fmt(e.export_totals.fine_kg)} kg · ${fmt(e.export_totals.value_usd)} USD</p>
  ${rows(e.exports, ["declaration_id", "date", "destination_country", "product", "fine_mass_kg", "value_usd"])}`;
}

const LAYER_STYLE = { areas: { color: "#2e7d32", weight: 1, fillOpacity: 0.15 }, rights: { color: "#1565c0", weight: 1, fillOpacity: 0.2 },
  detections: { color: "#ef6c00", weight: 1, fillOpacity: 0.45 }, alerts: { color: "#c62828", weight: 2, fillOpacity: 0.3 } };

async function mapPage(params) {
  view().innerHTML = `<h1>${t("nav_map")}</h1><div id="map"></div><p id="map-note" class="muted"></p>`;
  const map = L.map("map", { preferCanvas: false, attributionControl: true }).setView([-8, -72], 5);
  state.map = map;
  map.attributionControl.setPrefix("Leaflet").addAttribution("Natural Earth");
  const outlines = await (await fetch("/static/countries.geojson")).json();
  L.geoJSON(outlines, { style: { color: "#666", weight: 1, fillColor: "#f2efe6", fillOpacity: 1 }, interactive: false }).addTo(map);
  const groups = {}, control = L.control.layers(null, {}, { collapsed: false }).addTo(map);
  for (const name of ["areas", "rights", "detections", "alerts"]) {
    groups[name] = L.geoJSON(null, { style: LAYER_STYLE[name], onEachFeature: (f, layer) => {
      const p = f.properties;
      layer.bindPopup(name === "alerts" ? `<a href="#/alert/${esc(p.id)}">${esc(p.typology)}</a><br>${esc(p.subject_id)} · ${esc(t(p.status))}` : `${esc(p.id)}<br>${esc(p.name || p.status || p.date || "")}`);
    } }).addTo(map);
    control.addOverlay(groups[name], t(name === "alerts" ? "layer_alerts" : name));
  }
  const refresh = async () => {
    const b = map.getBounds(), bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v, i) => Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v)).toFixed(4)).join(",");
    let truncated = false;
    await Promise.all(Object.keys(groups).map(async (name) => {
      const fc = await api(`/api/map/${name}?bbox=${bbox}&limit=3000`);
      groups[name].clearLayers(); groups[name].addData(fc); truncated ||= fc.truncated;
    }));
    $("#map").dataset.features = Object.values(groups).reduce((n, g) => n + g.getLayers().length, 0);
    $("#map-note").textContent = truncated ? t("truncated") : "";
  };
  map.on("moveend", refresh);
  if (params.get("alert")) {
    const { bounds } = await api(`/api/map/alerts/${encodeURIComponent(params.get("alert"))}/bounds`);
    if (bounds) map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], { maxZoom: 13, padding: [40, 40] });
  }
  await refresh();
}

function loginPage() {
  $("#nav").hidden = true; $("#logout").hidden = true; $("#who").textContent = "";
  view().innerHTML = `<form class="login" id="login"><h2>${t("login_title")}</h2>
   <label>${t("username")}<input name="username" autocomplete="username" required></label>
   <label>${t("password")}<input name="password" type="password" autocomplete="current-password" required></label>
   <button type="submit">${t("sign_in")}</button><p id="login-error" class="error"></p></form>`;
  $("#login").addEventListener("submit", async (e) => {
    e.preventDefault();
    try { state.session = await api("/api/login", { method: "POST", body: JSON.stringify(Object.fromEntries(new FormData(e.target))) }); location.hash = "#/overview"; route(); }
    catch { $("#login-error").textContent = t("login_failed"); }
  });
}

async function route() {
  const [path, query] = (location.hash.slice(1) || "/overview").split("?");
  const params = new URLSearchParams(query || "");
  if (state.map) { state.map.remove(); state.map = null; }
  if (path === "/login") return loginPage();
  if (!state.session) {
    try { state.session = await api("/api/session"); } catch { return; }
  }
  $("#nav").hidden = false; $("#logout").hidden = false;
  $("#who").textContent = `${state.session.username} · ${state.session.role} · ${(state.session.countries || ["*"]).join(",")}`;
  document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", path.startsWith(a.getAttribute("href").slice(1))));
  try {
    if (path.startsWith("/alert/")) await alertDetail(decodeURIComponent(path.slice(7)));
    else if (path.startsWith("/entity/")) await entity(decodeURIComponent(path.slice(8)));
    else if (path === "/alerts") await alertsList(params);
    else if (path === "/map") await mapPage(params);
    else await overview();
  } catch (err) { if (err.message !== "401") showError(err); }
}

$("#lang").addEventListener("click", async () => { await loadLang(state.lang === "en" ? "es" : "en"); route(); });
$("#logout").addEventListener("click", async () => { await api("/api/logout", { method: "POST" }).catch(() => {}); state.session = null; location.hash = "#/login"; });
window.addEventListener("hashchange", route);
await loadLang(state.lang);
route();
