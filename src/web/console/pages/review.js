import { api } from "/console/api.js";
import { route } from "/console/router.js";
import { enc } from "/ui/lib/api.js";
import { clearErrors, confirmDialog, showFieldError } from "/ui/lib/dialog.js";
import { append, badge, button, card, el, emptyRow, field, heading, setBusy, table } from "/ui/lib/dom.js";
import { fmtNum, fmtTime, t } from "/ui/lib/i18n.js";
import { report, toast } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/review: the access review report, the review in progress and past ones
// ---------------------------------------------------------------------------

const DEFAULT_STALE_DAYS = 90;

export async function renderReview(page, _match, query) {
  const staleDays = Number(query.get("stale_days")) || DEFAULT_STALE_DAYS;
  append(page, heading(t("review.title")), el("p", { class: "hint", text: t("review.hint") }));
  const list = await api("GET", "/api/v1/access-reviews");
  if (!page.isConnected) return;
  const open = list.reviews.find((r) => r.status === "open");
  if (open) {
    const current = await api("GET", `/api/v1/access-reviews/${enc(open.id)}`);
    append(page, currentCard(current));
  } else {
    append(page, startCard(staleDays));
  }
  append(page, await reportCard(staleDays), historyCard(list.reviews.filter((r) => r.status === "closed")));
}

function flagBadges(flags, staleDays) {
  return flags.map((f) => badge(t(`review.flag.${f}`, { n: fmtNum(staleDays) }), f === "admin_without_second_factor" ? "b-bad" : "b-warn", { test: `flag-${f}` }));
}

function actorName(actor) {
  return actor ? actor.name : "–";
}

function startCard(staleDays) {
  const submit = button(t("review.start"), { class: "btn-primary", test: "review-start", onclick: async () => {
    setBusy(submit, true);
    try {
      await api("POST", `/api/v1/access-reviews?stale_days=${enc(String(staleDays))}`, {});
      toast(t("review.started"), "success");
      route();
    } catch (err) {
      report(err);
    } finally {
      setBusy(submit, false);
    }
  } });
  return card(t("review.start"), el("p", { class: "hint", text: t("review.start_hint") }), el("div", { class: "form-actions" }, submit));
}

function currentCard(review) {
  const decide = async (item, decision, note, row) => {
    const buttons = row.querySelectorAll("button");
    buttons.forEach((b) => setBusy(b, true));
    clearErrors(row);
    try {
      await api("PUT", `/api/v1/access-reviews/${enc(review.id)}/items/${enc(item.id)}`, { decision, note: note.value.trim() || null });
      toast(t("review.decided"), "success");
      route();
    } catch (err) {
      if (!showFieldError(row, err)) report(err);
      buttons.forEach((b) => setBusy(b, false));
    }
  };
  const rows = review.items.length ? review.items.map((item) => {
    const note = el("input", { type: "text", maxlength: "500", value: item.note || "", test: `review-note-${item.id}`, "aria-label": t("review.note") });
    const row = el("tr", { test: `review-item-${item.id}` },
      el("td", { text: t(`review.kind_${item.kind}`) }),
      el("td", null, el("strong", { text: item.name })),
      el("td", { text: item.roles.join(", ") }),
      el("td", null, flagBadges(item.flags, review.stale_days)),
      el("td", null, badge(t(`review.d_${item.decision}`), item.decision === "revoke" ? "b-bad" : item.decision === "keep" ? "b-ok" : "b-muted", { test: `review-decision-${item.id}` }),
        item.decided_by ? el("p", { class: "hint", text: t("review.decided_by", { who: actorName(item.decided_by), when: fmtTime(item.decided_at) }) }) : null),
      el("td", { "data-field": "note" }, note, el("p", { class: "field-error", role: "alert" })),
      el("td", { class: "actions-cell", "data-field": "decision" },
        button(t("review.keep"), { class: "btn-small", test: `review-keep-${item.id}`, onclick: () => decide(item, "keep", note, row) }),
        button(t("review.revoke"), { class: "btn-small btn-danger-quiet", test: `review-revoke-${item.id}`, onclick: () => decide(item, "revoke", note, row) }),
        el("p", { class: "field-error", role: "alert" })));
    return row;
  }) : emptyRow(7, t("review.no_items"));
  const { counts } = review;
  const close = button(t("review.close"), { class: "btn-primary", test: "review-close", disabled: counts.pending > 0, onclick: async () => {
    if (!await confirmDialog({
      title: t("review.close_title"),
      message: t("review.close_text", { revoke: fmtNum(counts.revoke), keep: fmtNum(counts.keep) }),
      danger: counts.revoke > 0, confirmLabel: t("review.close"), confirmTest: "review-close-confirm",
    })) return;
    setBusy(close, true);
    try {
      await api("POST", `/api/v1/access-reviews/${enc(review.id)}/close`, {});
      toast(t("review.closed"), "success");
      route();
    } catch (err) {
      report(err);
      setBusy(close, false);
    }
  } });
  return card(t("review.current"),
    el("p", { class: "hint", text: t("review.started_by", { who: actorName(review.started_by), when: fmtTime(review.started_at) }) }),
    el("p", { test: "review-progress", text: t("review.progress", { done: fmtNum(counts.items - counts.pending), total: fmtNum(counts.items) }) }),
    table([t("review.kind"), t("review.item"), t("review.roles"), t("review.flags"), t("review.decision"), t("review.note"), ""], rows, { test: "review-items" }),
    el("div", { class: "form-actions" }, close, counts.pending > 0 ? el("p", { class: "hint", text: t("review.close_pending") }) : null));
}

async function reportCard(staleDays) {
  const data = await api("GET", `/api/v1/access-review?stale_days=${enc(String(staleDays))}`);
  const secondFactor = (sf) => t(`review.sf_${sf}`);
  const users = data.users.length ? data.users.map((u) => el("tr", { test: `report-user-${u.username}` },
    el("td", null, el("strong", { text: u.username }), u.deactivated ? [" ", badge(t("review.deactivated"), "b-muted")] : null),
    el("td", { text: u.name }),
    el("td", { text: u.roles.join(", ") }),
    el("td", { class: "wrap", text: u.alert_groups ? t("review.only_groups", { groups: u.alert_groups.join(", ") }) : "" }),
    el("td", { text: secondFactor(u.second_factor) }),
    el("td", { text: fmtTime(u.last_login_at) }),
    el("td", { text: fmtTime(u.last_alert_answered_at) }),
    el("td", { class: "wrap", text: u.device_count ? `${fmtNum(u.device_count)}: ${u.devices.join(", ")}` : "0" }),
    el("td", null, flagBadges(u.flags, data.stale_days)))) : emptyRow(9, t("review.none"));
  const keys = data.keys.length ? data.keys.map((k) => el("tr", { test: `report-key-${k.id}` },
    el("td", null, el("strong", { text: k.name }), k.revoked_at ? [" ", badge(t("review.revoked"), "b-muted")] : null),
    el("td", { text: k.role }),
    el("td", { text: k.created_by || "–" }),
    el("td", { text: fmtNum(k.age_days) }),
    el("td", { text: fmtTime(k.last_used_at) }),
    el("td", null, flagBadges(k.flags, data.stale_days)))) : emptyRow(6, t("review.none"));
  const days = el("input", { type: "number", min: "1", max: "3650", value: String(data.stale_days), test: "review-stale-days", inputmode: "numeric" });
  const form = el("form", { class: "form inline", novalidate: true },
    field(t("review.stale_days"), days, { name: "stale_days" }),
    button(t("review.refresh"), { type: "submit", test: "review-refresh" }),
    el("a", { class: "btn", href: `/api/v1/access-review?format=csv&stale_days=${enc(String(data.stale_days))}`, download: "", test: "review-csv" }, t("review.csv")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/review?stale_days=${enc(days.value.trim() || String(DEFAULT_STALE_DAYS))}`;
  });
  return card(t("review.report"), form,
    el("h3", { text: t("review.users") }),
    table([t("review.username"), t("review.name"), t("review.roles"), t("review.alert_groups"), t("review.second_factor"), t("review.last_login"), t("review.last_answer"), t("review.devices"), t("review.flags")], users, { test: "report-users" }),
    el("h3", { text: t("review.keys") }),
    table([t("review.key_name"), t("review.key_role"), t("review.created_by"), t("review.age_days"), t("review.last_used"), t("review.flags")], keys, { test: "report-keys" }));
}

function historyCard(closed) {
  const rows = closed.length ? closed.map((r) => el("tr", { test: `review-history-${r.id}` },
    el("td", { text: fmtTime(r.started_at) }),
    el("td", { text: actorName(r.started_by) }),
    el("td", { text: fmtTime(r.closed_at) }),
    el("td", { text: actorName(r.closed_by) }),
    el("td", { text: t("review.counts", { keep: fmtNum(r.counts.keep), revoke: fmtNum(r.counts.revoke) }) }))) : emptyRow(5, t("review.no_history"));
  return card(t("review.history"),
    table([t("review.h_started"), t("review.h_started_by"), t("review.h_closed"), t("review.h_closed_by"), t("review.h_counts")], rows, { test: "review-history" }));
}
