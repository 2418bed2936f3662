import { onTimerChange, timerViewOpen } from "/app/checkin.js";
import { S } from "/app/state.js";
import { renderAlert } from "/app/views/alert.js";
import { renderHome } from "/app/views/home.js";
import { renderSettings } from "/app/views/settings.js";
import { renderTimer } from "/app/views/timer.js";

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

export function route() {
  if (!S.me) return;
  const hash = location.hash;
  timerViewOpen(hash === "#timer");
  if (hash.startsWith("#alert=")) {
    let id = "";
    try {
      id = decodeURIComponent(hash.slice(7));
    } catch (_) {
      /* a damaged link shows the not-found page */
    }
    renderAlert(id);
  } else if (hash === "#settings") renderSettings();
  else if (hash === "#timer") renderTimer();
  else renderHome();
}

// A new timer state changes the pages that show it; the top bar's chip keeps
// itself up to date. Not while the member types: the field would go.
onTimerChange(() => {
  const el = document.activeElement;
  const typing = el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
  const hash = location.hash;
  if (S.me && !typing && (hash === "#timer" || hash === "" || hash === "#")) route();
});
