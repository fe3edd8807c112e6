// Hookline's web console: a client of the /api/v4 API, in plain JavaScript with no dependencies.
// Every value from the API (hook names, URLs, receiver headers and bodies) reaches the page through
// document.createTextNode or element.textContent: nothing is ever parsed as markup (no innerHTML anywhere).
"use strict";

const API = "../api/v4"; // the console is served at <api>/console/, so this is the API of the same origin
const STORE = "hookline.console"; // sessionStorage: the tab forgets the token when it closes
const TESTABLE = [ // the triggers GitLab's Test drop-down offers
  "push_events", "tag_push_events", "note_events", "issues_events", "confidential_issues_events",
  "merge_requests_events", "job_events", "pipeline_events", "wiki_page_events", "releases_events", "emoji_events",
  "resource_access_token_events",
];
const STATUS_FILTERS = [["", "All statuses"], ["successful", "Succeeded"], ["client_failure", "Client failures"],
  ["server_failure", "Server failures"]];
const KINDS = {project: "Project", group: "Group", system: "System"};

// ---- small DOM helpers ------------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name === "checked" || name === "value" || name === "disabled" || name === "hidden") node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}
function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
function show(...children) {
  const app = document.getElementById("app");
  app.replaceChildren();
  append(app, children);
}
function flash(text, kind) {
  const box = document.getElementById("flash");
  box.replaceChildren();
  if (text) box.append(h("div", {class: `notice ${kind || ""}`, "data-testid": "flash"}, text));
}
const enc = encodeURIComponent;
const label = (trigger) => trigger.replace(/_events$/, "").replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase())
  + " events";
// A logged trigger ("push_hooks", "tag_push_hooks") as GitLab's Recent events show it: "Push hook".
const eventLabel = (trigger) => trigger.replace(/_hooks?$/, "").replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase())
  + " hook";

function relative(iso) {
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  const units = [[86400, "day"], [3600, "hour"], [60, "minute"], [1, "second"]];
  for (const [size, unit] of units) {
    if (Math.abs(seconds) >= size || size === 1) {
      const n = Math.floor(Math.abs(seconds) / size);
      const text = `${n} ${unit}${n === 1 ? "" : "s"}`;
      return seconds >= 0 ? `${text} ago` : `in ${text}`;
    }
  }
  return iso;
}

// ---- session and API ----------------------------------------------------------------------------------------
function session() {
  try { return JSON.parse(sessionStorage.getItem(STORE)) || null; } catch { return null; }
}
function saveSession(value) {
  if (value) sessionStorage.setItem(STORE, JSON.stringify(value)); else sessionStorage.removeItem(STORE);
}

async function api(method, path, body, {signingIn = false} = {}) {
  const current = session();
  const headers = {Accept: "application/json"};
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store"});
  } catch (error) {
    return {status: 0, body: {message: "The API cannot be reached"}, headers: new Headers()};
  }
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  if (response.status === 401 && current && !signingIn) {
    saveSession(null);
    flash(current.portal ? "The portal session has ended: ask for a new link." : "The token was refused: sign in again.", "bad");
    route();
  }
  return {status: response.status, body: parsed, headers: response.headers};
}

// The API's error bodies: {"message": "..."}, {"message": {"field": ["..."]}} or {"error": "..."}.
function errorText(answer) {
  const body = answer.body;
  if (body && typeof body === "object") {
    if (typeof body.message === "string") return body.message;
    if (typeof body.error === "string") return body.error;
    if (body.message && typeof body.message === "object") {
      return Object.entries(body.message).map(([field, messages]) => `${field} ${[].concat(messages).join(", ")}`)
        .join("; ");
    }
  }
  return `The API answered ${answer.status}`;
}
function fieldErrors(answer, fields) {
  // Which form field an error names: a field map, or a message that starts with or mentions the field's name.
  const body = answer.body || {};
  const found = {};
  if (body.message && typeof body.message === "object") {
    for (const [field, messages] of Object.entries(body.message)) found[field] = [].concat(messages).join(", ");
    return found;
  }
  const text = errorText(answer);
  // GitLab's plain messages name a field in words: "Invalid url given", "Custom headers validation failed",
  // "Invalid branch filter given" (the push_events_branch_filter field).
  const words = `_${text.toLowerCase().replace(/[^a-z0-9]+/g, "_")}_`;
  const named = [...fields].sort((a, b) => b.length - a.length)
    .find((field) => text.startsWith(`${field} `) || text.includes(` ${field}`) || words.includes(`_${field}_`)
      || words.includes(`_${field.replace(/^push_events_/, "")}_`));
  if (named) found[named] = text;
  return found;
}

// ---- where we are -------------------------------------------------------------------------------------------
// #/ (sign in or choose), #/<kind>/<ref> (hooks), #/<kind>/<ref>/new, #/<kind>/<ref>/<hook>/edit,
// #/<kind>/<ref>/<hook>/events[?page=&status=], #/<kind>/<ref>/<hook>/events/<event>. System hooks use ref "-".
// A part with a broken %-escape stays as written: the API answers it (an unknown namespace), the page never throws.
function safeDecode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(safeDecode);
  return {parts, query: new URLSearchParams(query || "")};
}
function go(...parts) {
  location.hash = "#/" + parts.map((part) => enc(String(part))).join("/");
}
function hooksPath(ns) {
  if (ns.kind === "system") return "/hooks";
  return `/${ns.kind === "project" ? "projects" : "groups"}/${enc(ns.ref)}/hooks`;
}
function nsLabel(ns) {
  return ns.kind === "system" ? "System hooks" : `${KINDS[ns.kind]} ${ns.ref}`;
}

let hookSchemas = null;
async function triggersOf(kind) {
  // The kind's triggers, from the API's own description (the *_events fields of ProjectHook, GroupHook, SystemHook).
  if (!hookSchemas) {
    const answer = await api("GET", "/openapi.json");
    hookSchemas = answer.status === 200 ? answer.body.components.schemas : {};
  }
  const schema = hookSchemas[`${KINDS[kind]}Hook`];
  return schema ? Object.keys(schema.properties).filter((name) => name.endsWith("_events")) : ["push_events"];
}

async function route() {
  flashOnce();
  const current = session();
  const signOut = document.getElementById("sign-out");
  signOut.hidden = !current;
  const where = document.getElementById("where");
  where.textContent = current ? (current.portal ? `Portal · ${nsLabel(current.portal)}` : "Signed in") : "";
  if (location.hash.startsWith("#portal=")) return exchange(location.hash.slice("#portal=".length));
  if (!current) return signIn();
  const {parts, query} = parseHash();
  if (current.portal) {
    const ns = current.portal;
    if (parts[0] !== ns.kind || parts[1] !== ns.ref) return go(ns.kind, ns.ref);
  }
  if (parts.length < 2 || !KINDS[parts[0]]) return chooser();
  const ns = {kind: parts[0], ref: parts[0] === "system" ? "-" : parts[1]};
  const [, , hook, action, event] = parts;
  if (hook === "new") return hookForm(ns, null);
  if (hook && action === "edit") return hookForm(ns, Number(hook));
  if (hook && action === "events" && event) return eventDetails(ns, Number(hook), Number(event));
  if (hook && action === "events") return recentEvents(ns, Number(hook), query);
  return hookList(ns);
}
let pendingFlash = null;
function flashOnce() {
  if (pendingFlash) { flash(...pendingFlash); pendingFlash = null; } else flash("");
}
function later(text, kind) { pendingFlash = [text, kind]; }

// ---- sign in, portal exchange, namespace chooser ------------------------------------------------------------
function signIn() {
  const token = h("input", {type: "password", id: "token", autocomplete: "off", required: true});
  const error = h("p", {class: "error", "data-testid": "signin-error"});
  const form = h("form", {class: "stack signin", onsubmit: async (e) => {
    e.preventDefault();
    saveSession({token: token.value.trim()});
    const check = await api("GET", "/projects/0", undefined, {signingIn: true}); // 401 for a bad token, else 404
    if (check.status === 401 || check.status === 0) {
      saveSession(null);
      error.textContent = check.status === 0 ? errorText(check) : "This token is not valid (unknown, expired or revoked).";
      return;
    }
    route();
  }},
  h("label", {for: "token"}, "Token"),
  h("p", {class: "help muted"}, "The admin token or a group or project access token. It is kept in this tab only."),
  token, error, h("p", {}, h("button", {class: "primary", type: "submit"}, "Sign in")));
  show(h("h1", {}, "Sign in"), form);
}

async function exchange(code) {
  history.replaceState(null, "", location.pathname + location.search); // the code leaves the address bar at once
  saveSession(null);
  show(h("p", {}, "Opening the portal link…"));
  const answer = await api("POST", "/portal_links/exchange", {code});
  if (answer.status !== 201) {
    show(h("h1", {}, "This link cannot be opened"),
      h("p", {class: "notice bad", "data-testid": "portal-error"}, errorText(answer)));
    return;
  }
  const ns = answer.body.namespace;
  saveSession({token: answer.body.token, portal: {kind: ns.kind, ref: ns.ref}, expires_at: answer.body.expires_at});
  go(ns.kind, ns.ref);
}

function chooser() {
  const kind = h("select", {id: "ns-kind"}, ...Object.entries(KINDS).map(([k, v]) => h("option", {value: k}, v)));
  const ref = h("input", {type: "text", id: "ns-ref", placeholder: "acme/platform/api or 42"});
  kind.addEventListener("change", () => { ref.disabled = kind.value === "system"; });
  show(h("h1", {}, "Webhooks"),
    h("form", {class: "stack signin", onsubmit: (e) => {
      e.preventDefault();
      if (kind.value === "system") return go("system", "-");
      if (ref.value.trim()) go(kind.value, ref.value.trim());
    }},
    h("label", {for: "ns-kind"}, "Hooks of"), kind,
    h("label", {for: "ns-ref"}, "Full path or ID"), ref,
    h("p", {}, h("button", {class: "primary", type: "submit"}, "Open"))));
}

// ---- hooks list ---------------------------------------------------------------------------------------------
function badges(hook) {
  if (hook.alert_status === "temporarily_disabled") {
    const until = hook.disabled_until ? ` until ${new Date(hook.disabled_until).toLocaleString()}` : "";
    return h("span", {class: "badge warn", "data-testid": "badge", title: `Disabled${until}`},
      "Temporarily disabled", h("span", {class: "muted"}, until));
  }
  if (hook.alert_status === "disabled") return h("span", {class: "badge bad", "data-testid": "badge"}, "Disabled");
  return null;
}
function enabledTriggers(hook) {
  return Object.keys(hook).filter((name) => name.endsWith("_events") && hook[name] === true);
}

async function hookList(ns) {
  show(h("p", {}, "Loading hooks…"));
  const answer = await api("GET", `${hooksPath(ns)}?per_page=100`);
  const current = session();
  const back = current && !current.portal ? h("button", {class: "link", onclick: () => go()}, "← Other namespaces") : null;
  if (answer.status !== 200) {
    const unknown = answer.status === 404;
    show(back, h("h1", {}, nsLabel(ns)),
      h("p", {class: "notice bad"}, unknown ? `${errorText(answer)}: Hookline does not know it yet (or this token may not manage it). Adding a hook registers it.` : errorText(answer)),
      unknown ? h("button", {class: "primary", onclick: () => go(ns.kind, ns.ref, "new")}, "Add new webhook") : null);
    return;
  }
  const hooks = answer.body;
  const rows = hooks.map((hook) => h("tr", {"data-testid": "hook-row", "data-hook-id": hook.id},
    h("td", {},
      h("div", {class: "hook-name"}, hook.name || h("span", {class: "muted"}, "(no name)")),
      h("div", {class: "url mono", "data-testid": "hook-url"}, hook.url),
      hook.description ? h("div", {class: "muted hook-description"}, hook.description) : null,
      badges(hook),
      hook.unreadable ? h("div", {class: "error"}, `Unreadable: ${hook.unreadable}`) : null),
    h("td", {}, enabledTriggers(hook).map((t) => h("span", {class: "badge trigger"}, label(t)))),
    h("td", {class: "health", "data-testid": "health"}, ns.kind === "system" ? "" : "…"),
    h("td", {}, hookActions(ns, hook))));
  show(back, h("h1", {}, nsLabel(ns), " · Webhooks"),
    h("p", {class: "actions"},
      h("button", {class: "primary", "data-testid": "add-hook", onclick: () => go(ns.kind, ns.ref, "new")}, "Add new webhook")),
    hooks.length ? h("table", {"data-testid": "hooks"},
      h("thead", {}, h("tr", {}, h("th", {}, "Webhook"), h("th", {}, "Triggers"), h("th", {}, "Last 2 days"), h("th", {}, ""))),
      h("tbody", {}, rows))
      : h("p", {class: "muted", "data-testid": "no-hooks"}, "No webhooks enabled. Select trigger events above."));
  if (ns.kind !== "system") for (const row of rows) health(ns, Number(row.dataset.hookId), row.querySelector(".health"));
}

async function health(ns, hookId, cell) {
  const answer = await api("GET", `${hooksPath(ns)}/${hookId}/stats`);
  if (answer.status !== 200) { cell.textContent = ""; return; }
  const s = answer.body;
  cell.textContent = s.deliveries === 0 ? "No deliveries"
    : `${s.deliveries} deliveries · ${Math.round(s.success_rate * 100)}% ok · p95 ${s.p95_elapsed_seconds.toFixed(2)} s`;
}

function hookActions(ns, hook) {
  const result = h("div", {class: "test-result", "data-testid": "test-result"});
  const box = h("div", {class: "actions"});
  const testable = TESTABLE.filter((t) => t in hook);
  if (ns.kind === "system") {
    box.append(h("button", {"data-testid": "test", onclick: () => runTest(`/hooks/${hook.id}`, result)}, "Test"));
  } else if (testable.length) {
    const select = h("select", {"data-testid": "test-trigger", "aria-label": "Test"},
      testable.map((t) => h("option", {value: t}, label(t))));
    box.append(select, h("button", {"data-testid": "test",
      onclick: () => runTest(`${hooksPath(ns)}/${hook.id}/test/${select.value}`, result)}, "Test"));
  }
  box.append(
    h("button", {onclick: () => go(ns.kind, ns.ref, hook.id, "edit"), "data-testid": "edit"}, "Edit"),
    ns.kind === "system" ? null : h("button", {onclick: () => go(ns.kind, ns.ref, hook.id, "events"),
      "data-testid": "events"}, "Recent events"),
    h("button", {class: "danger", "data-testid": "delete", onclick: () => confirmDelete(ns, hook, box)}, "Delete"));
  return [box, result];
}

async function runTest(path, result) {
  result.replaceChildren("Testing…");
  const answer = await api("POST", path);
  if (answer.status === 201) { // a 2xx re-enables a disabled hook: the list is read again to show its new state
    later("Hook executed successfully: HTTP 2xx", "ok");
    route();
    return;
  }
  result.replaceChildren(h("span", {class: "notice bad"}, errorText(answer)));
}

function confirmDelete(ns, hook, box) {
  if (box.querySelector(".confirm")) return;
  const panel = h("div", {class: "confirm", "data-testid": "confirm-delete"},
    h("p", {}, "Delete webhook ", h("strong", {}, hook.name || hook.url), "? This cannot be undone."),
    h("button", {class: "danger", "data-testid": "confirm", onclick: async () => {
      const answer = await api("DELETE", `${hooksPath(ns)}/${hook.id}`);
      if (answer.status === 204) { later("Webhook deleted.", "ok"); route(); } else flash(errorText(answer), "bad");
    }}, "Delete webhook"), " ",
    h("button", {onclick: () => panel.remove()}, "Cancel"));
  box.after(panel);
}

// ---- add and edit -------------------------------------------------------------------------------------------
function field(name, title, input, help) {
  return h("div", {class: "field", "data-field": name}, h("label", {for: `f-${name}`}, title),
    help ? h("p", {class: "help"}, help) : null, input, h("p", {class: "error", "data-error": name}));
}
function pairRows(container, keyHint, valueHint) {
  const add = () => container.append(h("div", {class: "pair"},
    h("input", {type: "text", placeholder: keyHint, class: "pair-key"}),
    h("input", {type: "password", placeholder: valueHint, class: "pair-value", autocomplete: "off"}),
    h("button", {type: "button", onclick: (e) => e.target.closest(".pair").remove()}, "Remove")));
  return add;
}
function pairsOf(container) {
  return [...container.querySelectorAll(".pair")]
    .map((row) => ({key: row.querySelector(".pair-key").value.trim(), value: row.querySelector(".pair-value").value}))
    .filter((pair) => pair.key);
}

async function hookForm(ns, hookId) {
  show(h("p", {}, "Loading…"));
  const [triggers, loaded] = await Promise.all([triggersOf(ns.kind),
    hookId ? api("GET", `${hooksPath(ns)}/${hookId}`) : Promise.resolve(null)]);
  if (loaded && loaded.status !== 200) { show(h("p", {class: "notice bad"}, errorText(loaded))); return; }
  const hook = loaded ? loaded.body : null;
  const val = (name, fallback) => (hook && hook[name] !== null && hook[name] !== undefined ? hook[name] : fallback);

  const url = h("input", {type: "text", id: "f-url", value: val("url", ""), placeholder: "https://example.com/hook"});
  const masks = h("div", {class: "pairs", "data-testid": "masks"});
  const addMask = () => masks.append(h("div", {class: "pair"},
    h("input", {type: "text", placeholder: "Sensitive portion of URL", class: "mask-portion"}),
    h("input", {type: "text", placeholder: "How it looks in the UI (a key, shown as {key})", class: "mask-key"}),
    h("button", {type: "button", onclick: (e) => e.target.closest(".pair").remove()}, "Remove")));
  const existingMasks = (hook ? hook.url_variables : []).map((v) => h("span", {class: "badge"}, `{${v.key}}`));
  const name = h("input", {type: "text", id: "f-name", value: val("name", "")});
  const description = h("textarea", {id: "f-description"}, val("description", ""));
  const token = h("input", {type: "password", id: "f-token", autocomplete: "off",
    placeholder: hook && hook.token_present ? "(unchanged: a secret token is set)" : ""});
  const checks = h("div", {class: "checks", id: "f-triggers"}, triggers.map((t) => h("label", {},
    h("input", {type: "checkbox", name: t, checked: hook ? !!hook[t] : t === "push_events"}), " ", label(t))));
  const strategy = val("branch_filter_strategy", "wildcard");
  const strategies = h("div", {id: "f-branch_filter_strategy"}, [["all_branches", "All branches"],
    ["wildcard", "Wildcard pattern"], ["regex", "Regular expression"]].map(([value, text]) => h("label", {},
    h("input", {type: "radio", name: "branch_filter_strategy", value, checked: strategy === value}), " ", text, " ")));
  const branchFilter = h("input", {type: "text", id: "f-push_events_branch_filter",
    value: val("push_events_branch_filter", ""), placeholder: "main, release/*, or ^feature/.*$"});
  const ssl = h("input", {type: "checkbox", id: "f-enable_ssl_verification", checked: val("enable_ssl_verification", true)});
  const concurrency = h("input", {type: "number", id: "f-concurrency_limit", min: "1", max: "50", step: "1",
    value: String(val("concurrency_limit", 4))});
  const headers = h("div", {class: "pairs", "data-testid": "custom-headers"});
  const addHeader = pairRows(headers, "Header name", "Value (write-only)");
  const existingHeaders = h("div", {}, (hook ? hook.custom_headers : []).map((header) => h("div", {class: "pair"},
    h("code", {}, header.key), h("span", {class: "muted"}, " ••••• "),
    h("button", {type: "button", onclick: async (e) => {
      const answer = await api("DELETE", `${hooksPath(ns)}/${hookId}/custom_headers/${enc(header.key)}`);
      if (answer.status === 204) e.target.closest(".pair").remove(); else flash(errorText(answer), "bad");
    }}, "Remove"))));
  const template = h("textarea", {id: "f-custom_webhook_template"}, val("custom_webhook_template", ""));
  const signing = h("div", {"data-testid": "signing"});
  const formError = h("p", {class: "error", "data-testid": "form-error"});
  const fieldNames = ["url", "name", "description", "token", "push_events_branch_filter", "branch_filter_strategy",
    "custom_webhook_template", "custom_headers", "url_variables", "enable_ssl_verification", "signing_token", "concurrency_limit"];

  if (hook && ns.kind !== "system") {
    signing.append(h("p", {class: "muted"}, hook.signing_token_present ? "A signing token is set." : "No signing token."),
      h("button", {type: "button", "data-testid": "rotate-signing", onclick: async () => {
        const answer = await api("POST", `${hooksPath(ns)}/${hookId}/signing_token`);
        signing.replaceChildren(answer.status === 201
          ? h("div", {}, h("p", {}, "Copy it now: it is not shown again."),
            h("code", {class: "secret", "data-testid": "signing-token"}, answer.body.signing_token))
          : h("p", {class: "error"}, errorText(answer)));
      }}, hook.signing_token_present ? "Rotate signing token" : "Generate signing token"));
  }

  async function submit(e) {
    e.preventDefault();
    for (const node of document.querySelectorAll("[data-error]")) node.textContent = "";
    for (const node of document.querySelectorAll(".field.invalid")) node.classList.remove("invalid");
    formError.textContent = "";
    const body = {};
    let target = url.value.trim();
    const variables = [];
    for (const row of masks.querySelectorAll(".pair")) {
      const portion = row.querySelector(".mask-portion").value;
      const key = row.querySelector(".mask-key").value.trim();
      if (!portion || !key) continue;
      target = target.split(portion).join(`{${key}}`);
      variables.push({key, value: portion});
    }
    if (!hook || target !== hook.url) body.url = target;
    if (variables.length) body.url_variables = variables;
    body.name = name.value;
    body.description = description.value;
    if (token.value) body.token = token.value;
    for (const box of checks.querySelectorAll("input")) body[box.name] = box.checked;
    body.branch_filter_strategy = strategies.querySelector("input:checked").value;
    body.push_events_branch_filter = branchFilter.value;
    body.enable_ssl_verification = ssl.checked;
    if (concurrency.value.trim()) body.concurrency_limit = concurrency.value.trim();
    const newHeaders = pairsOf(headers);
    if (newHeaders.length) body.custom_headers = newHeaders;
    body.custom_webhook_template = template.value;
    const answer = await api(hook ? "PUT" : "POST", hook ? `${hooksPath(ns)}/${hookId}` : hooksPath(ns), body);
    if (answer.status === 200 || answer.status === 201) {
      later(hook ? "Webhook updated." : "Webhook created.", "ok");
      go(ns.kind, ns.ref);
      return;
    }
    const errors = fieldErrors(answer, fieldNames);
    if (!Object.keys(errors).length) formError.textContent = errorText(answer);
    for (const [fieldName, message] of Object.entries(errors)) {
      const slot = document.querySelector(`[data-error="${CSS.escape(fieldName)}"]`);
      if (slot) { slot.textContent = message; slot.closest(".field").classList.add("invalid"); }
      else formError.textContent = message;
    }
  }

  show(h("button", {class: "link", onclick: () => go(ns.kind, ns.ref)}, `← ${nsLabel(ns)}`),
    h("h1", {}, hook ? "Edit webhook" : "Add new webhook"),
    h("form", {class: "stack", "data-testid": "hook-form", onsubmit: submit, novalidate: true},
      field("url", "URL", url, "The URL deliveries are posted to."),
      field("url_variables", "Mask portions of URL", h("div", {}, existingMasks, masks,
        h("button", {type: "button", "data-testid": "add-mask", onclick: addMask}, "Mask another portion of URL")),
        "Hide sensitive portions of the URL: the portion is kept secret and shown as {key}."),
      field("name", "Name (optional)", name),
      field("description", "Description (optional)", description),
      field("token", "Secret token", token, "Sent with every delivery in X-Gitlab-Token. Write-only."),
      field("triggers", "Trigger", checks),
      field("branch_filter_strategy", "Push events: branches", strategies),
      field("push_events_branch_filter", "Branch filter", branchFilter),
      field("enable_ssl_verification", "SSL verification", h("label", {}, ssl, " Enable SSL verification")),
      field("concurrency_limit", "Concurrent requests", concurrency,
        "At most this many requests in flight to this URL at once (1 to 50)."),
      field("custom_headers", "Custom headers", h("div", {}, existingHeaders, headers,
        h("button", {type: "button", "data-testid": "add-header", onclick: addHeader}, "Add custom header")),
        "Header values are write-only."),
      field("custom_webhook_template", "Custom webhook template", template,
        "A JSON body with {{field}} placeholders from the event payload."),
      hook && ns.kind !== "system" ? field("signing_token", "Signing token (Standard Webhooks)", signing) : null,
      formError,
      h("p", {class: "actions"}, h("button", {class: "primary", type: "submit", "data-testid": "save"},
        hook ? "Save changes" : "Add webhook"),
      h("button", {type: "button", onclick: () => go(ns.kind, ns.ref)}, "Cancel"))),
    hook && ns.kind !== "system" ? recoverPanel(ns, hookId) : null);
}

function recoverPanel(ns, hookId) {
  const since = h("input", {type: "datetime-local", id: "f-since", step: 1});
  const outcome = h("p", {"data-testid": "recover-result"});
  return h("section", {},
    h("h2", {}, "Recover parked deliveries"),
    h("p", {class: "muted"}, "Queue again the deliveries parked since a time (exhausted, expired, or held while the hook was disabled)."),
    h("form", {class: "actions", onsubmit: async (e) => {
      e.preventDefault();
      if (!since.value) { outcome.textContent = "Choose since when."; return; }
      const answer = await api("POST", `${hooksPath(ns)}/${hookId}/recover`, {since: new Date(since.value).toISOString()});
      outcome.replaceChildren(answer.status === 201
        ? h("span", {class: "notice ok"}, `Recovered ${answer.body.recovered} deliveries; ${answer.body.remaining} remaining.`)
        : h("span", {class: "notice bad"}, errorText(answer)));
    }}, h("label", {for: "f-since"}, "Since "), since,
    h("button", {type: "submit", "data-testid": "recover"}, "Recover")), outcome);
}

// ---- recent events and details -----------------------------------------------------------------------------
function statusBadge(status) {
  const ok = /^2\d\d$/.test(status);
  return h("span", {class: `badge ${ok ? "ok" : "bad"}`, "data-testid": "status"}, status);
}

async function recentEvents(ns, hookId, query) {
  const page = Number(query.get("page") || 1);
  const status = query.get("status") || "";
  const params = new URLSearchParams({page, per_page: 20});
  if (status) params.set("status", status);
  const answer = await api("GET", `${hooksPath(ns)}/${hookId}/events?${params}`);
  const back = h("button", {class: "link", onclick: () => go(ns.kind, ns.ref)}, `← ${nsLabel(ns)}`);
  if (answer.status !== 200) { show(back, h("p", {class: "notice bad"}, errorText(answer))); return; }
  const pages = Number(answer.headers.get("X-Total-Pages") || 1);
  const move = (p, s) => { location.hash = `#/${enc(ns.kind)}/${enc(ns.ref)}/${hookId}/events?${new URLSearchParams({page: p, status: s})}`; };
  const filter = h("select", {"data-testid": "status-filter", onchange: (e) => move(1, e.target.value)},
    STATUS_FILTERS.map(([value, text]) => h("option", {value, selected: value === status}, text)));
  filter.value = status;
  show(back, h("h1", {}, "Recent events"),
    h("p", {class: "muted"}, "GitLab events sent to this webhook in the last 2 days."),
    h("p", {class: "actions"}, h("label", {}, "Status "), filter),
    answer.body.length ? h("table", {"data-testid": "events"},
      h("thead", {}, h("tr", {}, ["Status", "Trigger", "Elapsed time", "Request time", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, answer.body.map((event) => h("tr", {"data-testid": "event-row"},
        h("td", {}, statusBadge(event.response_status)),
        h("td", {}, eventLabel(event.trigger)),
        h("td", {}, `${event.execution_duration.toFixed(2)} sec`),
        h("td", {title: event.created_at}, relative(event.created_at)),
        h("td", {}, h("button", {class: "link", "data-testid": "view-details",
          onclick: () => go(ns.kind, ns.ref, hookId, "events", event.id)}, "View details"))))))
      : h("p", {class: "muted", "data-testid": "no-events"}, "No events in the last 2 days."),
    h("div", {class: "pager"},
      h("button", {disabled: page <= 1, onclick: () => move(page - 1, status)}, "Prev"),
      h("span", {"data-testid": "page"}, `Page ${page} of ${pages}`),
      h("button", {disabled: page >= pages, onclick: () => move(page + 1, status)}, "Next")));
}

function headerTable(headers) {
  return h("table", {class: "mono"}, h("tbody", {}, Object.entries(headers || {}).map(([name, value]) =>
    h("tr", {}, h("td", {}, name), h("td", {class: "url"}, value)))));
}

async function eventDetails(ns, hookId, eventId) {
  const answer = await api("GET", `${hooksPath(ns)}/${hookId}/events/${eventId}`);
  const back = h("button", {class: "link", onclick: () => go(ns.kind, ns.ref, hookId, "events")}, "← Recent events");
  if (answer.status !== 200) { show(back, h("p", {class: "notice bad"}, errorText(answer))); return; }
  const e = answer.body;
  const outcome = h("div", {"data-testid": "resend-result"});
  const body = typeof e.request_data === "string" ? e.request_data : JSON.stringify(e.request_data, null, 2);
  show(back, h("h1", {}, "Request details"),
    h("p", {class: "actions"}, statusBadge(e.response_status), h("span", {}, eventLabel(e.trigger)),
      h("span", {class: "muted"}, `${e.execution_duration.toFixed(2)} sec · ${new Date(e.created_at).toLocaleString()}`),
      h("button", {"data-testid": "resend", onclick: async () => {
        outcome.textContent = "Resending…";
        const sent = await api("POST", `${hooksPath(ns)}/${hookId}/events/${eventId}/resend`);
        outcome.replaceChildren(sent.status === 201
          ? h("span", {class: "notice ok"}, `Request resent: the receiver answered ${sent.body.response_status}.`)
          : h("span", {class: "notice bad"}, errorText(sent)));
      }}, "Resend Request")),
    outcome,
    h("p", {}, "URL: ", h("span", {class: "url mono", "data-testid": "event-url"}, e.url)),
    e.internal_error_message ? h("p", {class: "notice bad", "data-testid": "internal-error"}, e.internal_error_message) : null,
    h("h2", {}, "Request headers"), headerTable(e.request_headers),
    h("h2", {}, "Request body"), h("pre", {"data-testid": "request-body"}, body),
    h("h2", {}, "Response headers"), headerTable(e.response_headers),
    h("h2", {}, "Response body"), h("pre", {"data-testid": "response-body"}, e.response_body));
}

// ---- start --------------------------------------------------------------------------------------------------
document.getElementById("sign-out").addEventListener("click", () => {
  saveSession(null);
  location.hash = "#/";
  route();
});
window.addEventListener("hashchange", route);
route();
