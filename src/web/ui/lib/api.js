// Calls to the appliance's JSON API, the same for the console and the
// members' app: JSON in and out, the session's CSRF token on every change,
// and RFC 9457 problems turned into thrown errors the pages can read.

/**
 * Sends one request and reads the answer: `{ response, data }`, where `data`
 * is the parsed JSON, the raw text when it isn't JSON, or null. When nothing
 * answers it throws an Error with `.status` 0 and `.problem.code` "network",
 * its message `opts.offline`.
 */
export async function request(method, path, body, opts = {}) {
  const headers = { Accept: "application/json" };
  let payload;
  if (body !== undefined && body !== null) {
    if (opts.contentType) {
      headers["Content-Type"] = opts.contentType;
      payload = body;
    } else {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
  }
  if (method !== "GET" && opts.csrf) headers["X-CSRF-Token"] = opts.csrf;
  Object.assign(headers, opts.headers || {});
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: "same-origin", cache: "no-store" });
  } catch (_) {
    const err = new Error(opts.offline);
    err.problem = { code: "network", detail: opts.offline };
    err.status = 0;
    throw err;
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (_) {
      data = text;
    }
  }
  return { response, data };
}

/** The Error for a refused request: `.problem` (with `.status` and `.retryAfter`) and `.status`. */
export function problemError(response, data) {
  const problem = data && typeof data === "object" ? Object.assign({}, data) : { detail: typeof data === "string" ? data.slice(0, 300) : response.statusText };
  if (!problem.detail && problem.error) problem.detail = problem.error;
  problem.detail = withoutField(problem.field, problem.detail);
  problem.status = response.status;
  problem.retryAfter = response.headers.get("Retry-After");
  const err = new Error(problem.detail || response.statusText);
  err.problem = problem;
  err.status = response.status;
  return err;
}

/** The server's detail for a field starts with the field's name; it is shown next to the field. */
export function withoutField(name, detail) {
  if (name && typeof detail === "string" && detail.startsWith(`${name}: `)) return detail.slice(name.length + 2);
  return detail;
}

/** Resolves to {ok, value} or {ok: false, error}: for loads that may be refused. */
export function settle(promise) {
  return promise.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));
}

export function enc(part) {
  return encodeURIComponent(part);
}
