import { navigate } from "/console/router.js";
import { sessionLost } from "/console/session.js";
import { S } from "/console/state.js";
import { problemError, request } from "/ui/lib/api.js";
import { t } from "/ui/lib/i18n.js";

// The console's API calls: the shared request plus what a lost or unfinished
// session means here.

/**
 * Calls the JSON API. Non-GET requests carry the CSRF token. A problem
 * answer becomes a thrown Error with `.problem` (RFC 9457) and `.status`.
 */
export async function api(method, path, body, opts = {}) {
  const { response, data } = await request(method, path, body, {
    csrf: S.csrf, contentType: opts.contentType, headers: opts.headers, offline: t("err.network"),
  });
  if (!opts.anonymous) S.lastTouch = Date.now();
  if (response.ok) return data;
  const err = problemError(response, data);
  if (!opts.anonymous) handleAuthProblem(err);
  throw err;
}

/** Session gone, device wiped, or a login stage to finish first. */
function handleAuthProblem(err) {
  const code = err.problem.code;
  if (err.status === 401 || code === "needs_login") {
    err.handled = true;
    sessionLost(code === "device_wiped" ? "wiped" : "expired");
  } else if (code === "password_change_required" && S.me) {
    err.handled = true;
    S.me.session.stage = "must_change_password";
    navigate("#/password");
  } else if (code === "second_factor_enrolment_required" && S.me) {
    err.handled = true;
    S.me.session.stage = "must_enroll_second_factor";
    navigate("#/enroll");
  } else if (code === "csrf") {
    err.handled = true;
    sessionLost("expired");
  }
}
