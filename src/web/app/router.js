import { S } from "/app/state.js";
import { renderAlert } from "/app/views/alert.js";
import { renderHome } from "/app/views/home.js";
import { renderSettings } from "/app/views/settings.js";

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

export function route() {
  if (!S.me) return;
  const hash = location.hash;
  if (hash.startsWith("#alert=")) {
    let id = "";
    try {
      id = decodeURIComponent(hash.slice(7));
    } catch (_) {
      /* a damaged link shows the not-found page */
    }
    renderAlert(id);
  } else if (hash === "#settings") renderSettings();
  else renderHome();
}
