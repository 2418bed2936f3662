"use strict";
/*
 * Tocsin admin console. One file, no framework, no build step: served by the
 * appliance under /console/ with a strict Content-Security-Policy (no inline
 * script or style, no eval). Every visible string goes through t(key); the
 * three dictionaries below hold English, Finnish and Swedish.
 */
(function () {
  const EN = {
    "app.title": "Tocsin",
    "page.login": "Sign in", "page.password": "Change password", "page.enroll": "Second factor", "page.account": "My account",
    "page.send": "Send alert", "page.print": "Print", "page.live": "Live view", "page.alerts": "Alerts", "page.people": "People",
    "page.templates": "Templates", "page.rules": "Alarm rules", "page.hardware": "Hardware", "page.access": "Keys and devices",
    "page.audit": "Audit log", "page.settings": "Settings", "page.home": "Home",
    "nav.label": "Main navigation", "nav.logout": "Log out", "nav.send": "Send alert", "nav.alerts": "Alerts", "nav.people": "People",
    "nav.templates": "Templates", "nav.rules": "Alarm rules", "nav.hardware": "Hardware", "nav.access": "Keys and devices",
    "nav.audit": "Audit log", "nav.settings": "Settings", "nav.appliance": "Organisations",
    "appliance.title": "Organisations and their senders",
    "appliance.intro": "The modems and radios are shared. Each organisation's SMS triggers and TETRA rules see only the senders assigned to it here; a sender belongs to one organisation at most.",
    "appliance.none": "No organisations yet.", "appliance.sms_numbers": "SMS numbers",
    "appliance.sms_hint": "Numbers in international form (+358…), separated by commas.",
    "appliance.tetra_ssis": "TETRA ISSIs and GSSIs", "appliance.tetra_hint": "Numbers, separated by commas.",
    "appliance.saved": "Senders of {org} saved.", "appliance.unassigned": "Messages no organisation owns",
    "common.any": "Any", "common.cancel": "Cancel", "common.close": "Close", "common.confirm": "Confirm", "common.delete": "Delete",
    "common.deleted": "Deleted.", "common.edit": "Edit", "common.filter": "Filter", "common.language": "Language", "common.no": "No",
    "common.yes": "Yes", "common.not_allowed_title": "Not available", "common.not_allowed": "Your role does not give access to this page.",
    "common.ok": "OK", "common.refresh": "Refresh", "common.remove": "Remove", "common.required": "Required.", "common.save": "Save",
    "common.saved": "Saved.", "common.search": "Search", "common.skip": "Skip to content",
    "dur.s": "{s} s", "dur.m": "{m} min", "dur.m_s": "{m} min {s} s", "dur.h_m": "{h} h {m} min",
    "err.generic": "Something went wrong.",
    "err.network": "The appliance can't be reached. Check the connection and try again.",
    "err.login_refused": "Wrong organisation, username, password or code.",
    "err.throttled": "Too many attempts. Try again in {s} seconds.",
    "err.not_json": "The request was not understood (not JSON).",
    "err.body_unreadable": "The request is too large.",
    "err.unauthorized": "Please sign in again.",
    "err.second_factor_required": "Enter your verification code.",
    "err.no_modem": "Codes by SMS need a modem, and none is configured.",
    "err.device_wiped": "This device was wiped and blocked by an administrator.",
    "err.needs_login": "Please sign in.",
    "err.csrf": "Your session has expired. Please sign in again.",
    "err.password_change_required": "Change your password first.",
    "err.second_factor_enrolment_required": "Set up a second factor first.",
    "err.rate_guard": "Too many automated alerts this minute. Wait and try again.",
    "err.forbidden": "Your role does not allow this.",
    "err.not_found": "Not found. It may have been deleted.",
    "err.storage": "The appliance could not store this. Try again; if it keeps failing, call support.",
    "err.internal": "The appliance could not finish the request.",
    "login.title": "Sign in", "login.intro": "Tocsin alerting console", "login.org": "Organisation", "login.username": "Username",
    "login.password": "Password", "login.code": "Verification code",
    "login.code_sms": "A code was sent by SMS to the number ending {tail}. Enter it, or a recovery code.",
    "login.code_totp": "Enter the code from your authenticator app, or a recovery code.",
    "login.code_wrong": "That code didn't work. Try again.", "login.submit": "Sign in",
    "login.note_expired": "Your session has ended. Please sign in again.",
    "login.note_wiped": "This device was wiped by an administrator.",
    "login.note_idle": "You were signed out after a period without activity.",
    "login.note_logged_out": "You have signed out.",
    "idle.warning": "No activity: you will be signed out in {s} s. Move the mouse or press a key to stay signed in.",
    "password.title": "Change password", "password.must": "You must choose a new password before you continue.",
    "password.current": "Current password", "password.new": "New password", "password.again": "New password again",
    "password.hint": "Follow your organisation's password policy: long passphrases work best.",
    "password.mismatch": "The passwords don't match.", "password.submit": "Change password", "password.changed": "Password changed.",
    "enroll.title": "Set up a second factor", "enroll.must": "Your role requires a second factor. Set one up to continue.",
    "enroll.password": "Your password, to confirm it is you",
    "enroll.totp": "Authenticator app",
    "enroll.totp_intro": "Scan the QR code with your authenticator app (or type the key), then enter the 6-digit code it shows.",
    "enroll.qr": "QR code for the authenticator app",
    "enroll.secret": "Key:", "enroll.code": "Code", "enroll.confirm": "Confirm", "enroll.sms": "Codes by SMS",
    "enroll.sms_to": "SMS to {phone}", "enroll.sms_sent": "A code was sent to {phone}.", "enroll.codes_title": "Recovery codes",
    "enroll.codes_intro": "Keep these codes somewhere safe. Each works once if you lose your phone. They are shown only now.",
    "enroll.continue": "Continue",
    "account.title": "My account", "account.me": "Me", "account.sessions": "My sessions", "account.started": "Started",
    "account.last_seen": "Last seen", "account.source": "Address", "account.browser": "Browser",
    "account.this_session": "This session", "account.end": "End",
    "home.title": "Welcome", "home.member": "Your account receives alerts. Use the Tocsin app to follow and answer them.",
    "sev.critical": "Critical", "sev.warning": "Warning", "sev.info": "Info",
    "ch.app": "App", "ch.sms": "SMS", "ch.voice": "Voice call", "ch.email": "Email", "ch.tetra": "TETRA",
    "ds.queued": "Queued", "ds.sending": "Sending", "ds.sent": "Sent", "ds.delivered": "Delivered", "ds.failed": "Failed",
    "ds.cancelled": "Cancelled", "ds.read": "read",
    "state.active": "Active", "state.cancelled": "Cancelled",
    "send.title": "Send alert", "send.templates": "Templates", "send.template_loaded": "Template “{name}” loaded. Check it and send.",
    "send.message": "Message", "send.title_label": "Title", "send.body_label": "Message text", "send.severity": "Severity",
    "send.recipients": "Recipients", "send.groups": "Groups", "send.people": "Find people",
    "send.search_placeholder": "Name, username or number", "send.no_match": "Nobody found.",
    "send.address": "Other number, email or radio", "send.address_placeholder": "+358… / name@example.org / ISSI",
    "send.address_hint": "Phone numbers in international form (+358…), email addresses, a radio's ISSI, or G 1234 for a talk group.",
    "send.address_bad": "Not a phone number (+358…), email address or ISSI.", "send.add": "Add",
    "send.roles": "Everyone with a role", "send.chosen": "Chosen", "send.nobody": "Nobody chosen yet.",
    "send.kind_group": "Group", "send.kind_person": "Person", "send.kind_role": "Role", "send.kind_phone": "Phone",
    "send.kind_email": "Email", "send.remove": "Remove {name}", "send.members.one": "{n} member", "send.members.other": "{n} members",
    "send.channels": "Channels", "send.answers": "Answer options", "send.answers_hint": "The first option counts as coming.",
    "send.option_n": "Option {n}", "send.remove_option": "Remove option {n}", "send.add_option": "Add option",
    "send.allow_eta": "Ask for arrival time (ETA)", "send.allow_text": "Allow free-text answers", "send.escalation": "Escalation",
    "send.next_channel_after": "Try the next channel after (seconds)",
    "send.next_channel_hint": "Each person is first reached on one channel; without an answer, on the next.",
    "send.min_coming": "If fewer are coming than", "send.coming_within": "within (seconds)", "send.max_rounds": "At most (rounds)",
    "send.then_groups": "then also alert", "send.tetra": "TETRA", "send.callout": "Send as a call-out (tone, Accept/Reject)",
    "send.callout_severity": "Call-out priority (1–15)", "send.callout_hint": "Empty: from the severity.",
    "send.seal": "Encrypt the text with a password (optional)", "send.seal_hint": "Use a password agreed beforehand. The text is encrypted in this browser and the appliance never sees it; SMS, email and radio carry a link to the members' app instead.",
    "send.location": "Location (optional)", "send.lat": "Latitude", "send.lon": "Longitude", "send.location_label": "Place name", "send.location_bad": "Give both latitude and longitude in degrees.",
    "live.sealed": "Encrypted text: only members with the password can read it.",
    "live.location": "Location: {place}",
    "send.seal_no_template": "A text to be encrypted is not saved in a template, where it would be stored readable. Clear the password or the text first.",
    "send.summary": "Summary", "send.people_estimate": "people (estimate)",
    "send.estimate_uncertain": "Some recipients can't be counted here; the exact numbers come after sending.",
    "send.deliveries": "Deliveries per channel", "send.deliveries_first": "Deliveries at first (then escalation)",
    "send.unreachable.one": "{n} person has no address for the chosen channels",
    "send.unreachable.other": "{n} people have no address for the chosen channels",
    "send.sms_time": "All SMS sent in", "send.sms_none": "No SMS in this alert.",
    "send.sms_unknown": "Unknown (modem status is not available to your role).", "send.no_modem": "No modem ready",
    "send.sms_eta": "about {time}", "send.sms_queued.one": "{n} SMS already waiting", "send.sms_queued.other": "{n} SMS already waiting",
    "send.submit": "Send alert…", "send.save_template": "Save as template", "send.clear": "Clear",
    "send.confirm_title": "Send this alert now?", "send.confirm": "Send now", "send.sent": "Alert sent to {n} people.",
    "send.need_title": "Write a title.", "send.need_channel": "Choose at least one channel.",
    "send.need_recipients": "Choose at least one recipient.", "send.default_yes": "Coming", "send.default_no": "Not coming",
    "live.counters": "Alert status", "live.reached": "Reached", "live.coming": "Coming", "live.not-coming": "Not coming",
    "live.no-answer": "No answer", "live.of": "of {n}", "live.deliveries": "Deliveries", "live.sent_by": "Sent by {by} at {at}",
    "live.accepted": "Accepted for {n} people:", "live.duplicate": "this alert had already been sent",
    "live.cancel": "Cancel alert", "live.all_clear": "All clear", "live.update": "Send update", "live.keep": "Keep the alert",
    "live.cancel_title": "Cancel this alert?",
    "live.cancel_text": "Messages not yet sent stop. Nobody is told that the alert is over.",
    "live.cancel_confirm": "Cancel alert", "live.all_clear_title": "Send the all clear?",
    "live.all_clear_text": "The alert is cancelled and everyone it reached is told that it is over, on the channels that reached them.",
    "live.all_clear_confirm": "Send all clear", "live.cancelled": "Alert cancelled.",
    "live.all_clear_sent": "Alert cancelled; the all clear is being sent.", "live.open_all_clear": "Open the all clear",
    "live.update_title": "Send an update", "live.update_hint": "Everyone the alert reached gets the new text as an update.",
    "live.update_send": "Send update", "live.update_sent": "Update sent.", "live.recipients": "Recipients", "live.filter": "Show",
    "live.search": "Find by name", "live.f_all": "Everyone", "live.f_no_answer": "No answer", "live.f_coming": "Coming",
    "live.f_not_coming": "Not coming", "live.f_unreached": "Not reached yet", "live.f_failed": "Failed deliveries",
    "live.name": "Name", "live.via": "Via", "live.answer": "Answer", "live.eta": "ETA", "live.eta_value": "{m} min (≈ {at})",
    "live.no_answer_short": "No answer", "live.no_channel": "No channel", "live.no_rows": "Nobody to show.",
    "live.rows_capped": "Showing {shown} of {all}. Use the filter to narrow.", "live.timeline": "Timeline",
    "live.timeline_empty": "Nothing yet.", "live.conn_connecting": "Connecting…", "live.conn_live": "● Live",
    "live.conn_reconnecting": "Reconnecting…", "live.conn_lost": "Connection lost; retrying",
    "live.attempts.one": "{n} attempt", "live.attempts.other": "{n} attempts",
    "via.user": "Person", "via.phone": "Phone number", "via.email": "Email address", "via.tetra_issi": "Radio (ISSI)",
    "via.tetra_gssi": "Talk group", "via.group": "Group {name}", "via.role": "Role {name}",
    "tlk.created": "Created", "tlk.escalation": "Escalation", "tlk.response": "Answer", "tlk.note": "Note",
    "tlk.cancelled": "Cancelled", "tlk.updated": "Updated", "tlk.trigger_merged": "Triggered again", "tlk.tetra_group_sent": "Talk group",
    "tl.created": "Sent by {by} to {n} people ({deliveries})", "tl.created_follow_up": "Follow-up sent by {by} to {n} people",
    "tl.next_channel": "{name}: trying {channel}",
    "tl.more_groups": "Round {round}: {coming} of {wanted} coming; {added} more people alerted",
    "tl.response": "{name}: {choice} ({channel})", "tl.eta": "ETA {m} min", "tl.note": "{from} ({channel}): {text}",
    "tl.cancelled": "Cancelled by {by}", "tl.cancelled_all_clear": "Cancelled by {by}; all clear sent",
    "tl.updated": "Updated by {by}: {title}", "tl.merged": "Triggered again by {by} ({template}); joined this alert",
    "tl.group_sent": "Sent to talk group {gssi} via {radio}",
    "history.title": "Alerts", "history.search": "Title contains", "history.severity": "Severity", "history.state": "State",
    "history.from": "From", "history.to": "To", "history.time": "Time", "history.alert": "Alert", "history.by": "Sent by",
    "history.csv": "CSV", "history.print": "Print", "history.none": "No alerts match.", "history.count": "{n} of {all} alerts",
    "csv.alert": "Alert", "csv.recipient": "Recipient", "csv.channel": "Channel", "csv.state": "State", "csv.attempts": "Attempts",
    "csv.error": "Error", "csv.read_at": "Read at", "csv.answer_text": "Answer text", "csv.answered_at": "Answered at",
    "csv.event": "Event", "csv.detail": "Detail",
    "print.back": "Back to the alert", "print.printed": "Printed {at}",
    "people.title": "People", "people.tab_users": "Users", "people.tab_groups": "Groups", "people.tab_roles": "Roles",
    "people.tab_import": "Import",
    "users.count.one": "{n} person", "users.count.other": "{n} people", "users.name": "Name", "users.username": "Username",
    "users.username_hint": "2–64 characters: lowercase letters, digits, - _ .", "users.phones": "Phone numbers",
    "users.phones_hint": "International form (+358…); separate several with ;", "users.email": "Email",
    "users.issi": "TETRA ISSI", "users.language": "Language", "users.lang_none": "Organisation default",
    "users.channels": "Preferred channels", "users.channels_hint": "Leave empty to use each alert's channels.",
    "users.groups": "Groups", "users.roles": "Roles", "users.login": "Login", "users.receive_only": "Receives only",
    "users.must_change": "Must change password", "users.second_factor": "Second factor", "users.none": "Nobody yet.",
    "users.set_password": "Password", "users.reset_2fa": "Reset second factor",
    "users.reset_2fa_text": "{name} must set up a second factor again at the next login; their sessions end now.",
    "users.reset_2fa_done": "Second factor reset.", "users.end_sessions": "Sign out everywhere",
    "users.end_sessions_text": "End all sessions of {name}?", "users.sessions_ended.one": "{n} session ended.",
    "users.sessions_ended.other": "{n} sessions ended.", "users.delete_title": "Delete person?",
    "users.delete_text": "{name} will no longer receive alerts. This can't be undone.", "users.add": "Add a person",
    "users.create": "Add person", "users.created": "{name} added.", "users.edit_title": "Edit {name}",
    "users.password_optional": "Password (only for people who sign in)",
    "users.password_hint": "Leave empty for someone who only receives alerts.",
    "users.must_change_next": "Must change the password at the next login", "users.password_title": "New password for {name}",
    "users.password_set": "Password set.",
    "groups.count.one": "{n} group", "groups.count.other": "{n} groups", "groups.name": "Name", "groups.members": "Members",
    "groups.members_hint": "Usernames, separated by commas.", "groups.pick": "Choose from the list", "groups.none": "No groups yet.",
    "groups.add": "New group", "groups.create": "Create group", "groups.created": "Group {name} created.",
    "groups.edit_title": "Edit group {name}", "groups.delete_title": "Delete group?",
    "groups.delete_text": "Delete the group {name}? Its members stay.",
    "roles.count.one": "{n} role", "roles.count.other": "{n} roles", "roles.name": "Name", "roles.description": "Description",
    "roles.permissions": "Permissions", "roles.alert_groups": "Groups it may alert", "roles.limit_groups": "Only these groups",
    "roles.any_group": "Any group", "roles.no_groups": "None", "roles.built_in": "Built in", "roles.add": "New role",
    "roles.create": "Create role", "roles.created": "Role {name} created.", "roles.edit_title": "Edit role {name}",
    "roles.admin_all": "The admin role always has every permission.", "roles.delete_title": "Delete role?",
    "roles.delete_text": "Delete the role {name}?",
    "perm.read_directory": "Read people and groups", "perm.manage_users": "Manage people", "perm.manage_groups": "Manage groups",
    "perm.manage_roles": "Manage roles", "perm.send_alerts": "Send alerts", "perm.read_audit": "Read the audit log",
    "perm.manage_devices": "Manage devices and hardware", "perm.manage_settings": "Manage settings and templates",
    "perm.manage_api_keys": "Manage API keys",
    "import.title": "Import people from CSV",
    "import.intro": "The first line names the columns: username,name,phones,email,tetra_issi,groups,roles,language. Separate several phone numbers or groups with ;. Preview first: nothing is saved until you import.",
    "import.file": "CSV file", "import.text": "CSV text", "import.preview": "Preview", "import.run": "Import", "import.row": "Row",
    "import.status": "Status", "import.errors": "Problems", "import.ok": "OK", "import.imported": "Imported",
    "import.refused": "Refused", "import.read_failed": "The file could not be read.",
    "import.preview_summary": "Ready to import: {good}. With problems: {bad} (those rows are not imported).",
    "import.done_summary": "Imported: {n}. Refused: {bad}.",
    "templates.title": "Templates", "templates.none": "No templates yet.", "templates.new": "New template", "templates.name": "Name",
    "templates.name_hint": "Lowercase letters, digits, - _ .", "templates.button": "Button label", "templates.merge": "Merge window",
    "templates.button_roles": "Members' app: roles that may press it", "templates.button_roles_hint": "Role names, separated by commas. They send exactly this template, even without the right to send alerts.",
    "templates.merge_seconds": "Merge window (seconds)",
    "templates.merge_hint": "Fired again within this time, it joins the running alert instead of alarming twice.",
    "templates.last_fired": "Last fired", "templates.fire": "Fire", "templates.use": "Open in the send page",
    "templates.fire_title": "Fire “{name}”?",
    "templates.fire_merge": "If it was fired within the last {d} and that alert is still active, this joins it.",
    "templates.fire_confirm": "Fire now", "templates.merged": "Joined the alert already running.",
    "templates.delete_title": "Delete template?", "templates.delete_text": "Delete the template {name}? Rules that use it stop working.",
    "templates.edit_title": "Edit template {name}", "templates.create": "Create template", "templates.saved": "Template saved.",
    "templates.save_as": "Save as template", "templates.addresses.one": "{n} address", "templates.addresses.other": "{n} addresses",
    "rules.title": "Alarm rules", "rules.tetra": "Inbound TETRA alarm rules",
    "rules.intro": "A message from the emergency centre that matches a rule fires its template. Rules are tried from the top; the first match wins.",
    "rules.none": "No rules yet.", "rules.rule_n": "Rule {n}", "rules.name": "Name", "rules.from": "From ISSIs",
    "rules.from_hint": "Any sender when empty; separate with commas.", "rules.template": "Template", "rules.match": "Match",
    "rules.mode_pattern": "Text pattern", "rules.mode_status": "Status", "rules.status": "Status",
    "rules.pattern": "Pattern (regular expression)", "rules.pattern_hint": "Named groups such as (?P<address>.+) are added to the alert.",
    "rules.up": "Move up", "rules.down": "Move down", "rules.add": "Add rule", "rules.save": "Save rules",
    "rules.test_title": "Test a message", "rules.test_intro": "Which saved rule would this message fire? Nothing is sent.",
    "rules.test_from": "From ISSI", "rules.test_from_bad": "Give the sender's ISSI (digits).", "rules.test_text": "Text",
    "rules.test": "Test", "rules.test_match": "Matches rule {rule} → template {template}", "rules.test_none": "No rule matches.",
    "rules.triggers": "SMS triggers", "rules.triggers_intro": "Numbers that may start alerts by SMS: “PIN template [words]”.",
    "rules.no_triggers": "No SMS triggers.", "rules.trigger_n": "Number {n}", "rules.number": "Phone number", "rules.pin": "PIN",
    "rules.pin_hint": "6–12 digits; stored only as a hash.", "rules.pin_unchanged": "unchanged",
    "rules.trigger_templates": "May fire (none ticked: any template)", "rules.add_trigger": "Add number",
    "rules.save_triggers": "Save SMS triggers",
    "backup.title": "Backups", "backup.target": "Target", "backup.state": "State", "backup.last_success": "Newest backup there",
    "backup.problem": "Problem", "backup.ok": "Current", "backup.failing": "Failing", "backup.waiting": "Not reached yet",
    "backup.since": "since {at}:", "backup.newest": "Newest backup {name}, taken {at}.", "backup.none": "No backup taken yet.",
    "hardware.title": "Hardware", "hardware.health": "Health", "hardware.store": "Storage", "hardware.sms_queue": "SMS waiting",
    "hardware.capacity": "SMS capacity", "hardware.per_minute": "{n} / min", "hardware.no_modems": "No modems",
    "hardware.outbox": "Waiting to be sent", "hardware.storage": "Storage",
    "hardware.to_empty": "Queue empty in", "hardware.none": "No modems or radios configured.", "hardware.auto": "Refresh every 30 s",
    "hardware.model": "Model", "hardware.port": "Port", "hardware.registration": "Network", "hardware.signal": "Signal",
    "hardware.queue": "Queue", "hardware.sent": "Sent", "hardware.received": "Received", "hardware.avg_send": "Average send time",
    "hardware.since": "State since", "hardware.last_error": "Last error ({at}):", "hardware.kind_modem": "Modem",
    "hardware.kind_radio": "Radio", "hardware.test_title": "Send a test message", "hardware.test_phone": "To number",
    "hardware.test_issi": "To ISSI", "hardware.test_text": "Text", "hardware.test_default": "Tocsin test message",
    "hardware.test_send": "Send test", "hardware.test_sending": "Sending…", "hardware.test_ok": "Sent.",
    "hardware.test_failed": "Not sent: {why}",
    "dev.disconnected": "Disconnected", "dev.initialising": "Starting", "dev.ready": "Ready", "dev.resetting": "Resetting",
    "health.ready": "Ready", "health.degraded": "Degraded", "health.not_ready": "Not ready", "health.unknown": "Unknown",
    "inbound.title": "Received messages", "inbound.time": "Received", "inbound.channel": "Channel", "inbound.from": "From",
    "inbound.to": "To", "inbound.text": "Text", "inbound.handling": "Handled as", "inbound.response": "Answer: {choice}",
    "inbound.note": "Note on an alert", "inbound.trigger": "Started an alert", "inbound.ignored": "Ignored: {why}",
    "inbound.pending": "Waiting", "inbound.open": "Open alert", "inbound.incomplete": "Parts of this long SMS never came", "inbound.none": "No messages.",
    "access.title": "Keys and devices", "access.keys": "API keys", "access.new_key": "New API key", "access.key_name": "Name",
    "access.key_role": "Role", "access.created": "Created", "access.expires": "Expires", "access.never": "Never",
    "access.last_used": "Last used", "access.status": "Status", "access.key_active": "Active", "access.key_revoked": "Revoked",
    "access.key_expired": "Expired", "access.revoke": "Revoke", "access.revoke_title": "Revoke key?",
    "access.revoke_text": "Integrations using {name} stop working at once.", "access.revoked": "Key revoked.",
    "access.expires_days": "Expires in (days)", "access.expires_hint": "Empty: never.", "access.create_key": "Create key",
    "access.secret_once": "Copy the key now: it is shown only once.", "access.copy": "Copy", "access.copied": "Copied.",
    "access.copy_manual": "Key selected: press Ctrl+C to copy.", "access.done": "Done", "access.no_keys": "No API keys.",
    "access.devices": "Members' devices", "access.person": "Person", "access.device": "Device", "access.platform": "Platform",
    "access.first_seen": "First seen", "access.last_seen": "Last seen", "access.no_devices": "No devices.", "access.block": "Block",
    "access.wipe": "Wipe", "access.block_title": "Block device?",
    "access.block_text": "{name} of {who} is signed out and can't sign in again.", "access.wipe_title": "Wipe device?",
    "access.wipe_text": "{name} of {who} deletes Tocsin's data the next time it connects, and is then blocked.",
    "access.blocked": "Device blocked.", "access.wipe_ordered": "Wipe ordered.", "access.dev_active": "Active",
    "access.dev_blocked": "Blocked", "access.dev_wipe_pending": "Wipe pending", "access.dev_wiped": "Wiped",
    "audit.findings": "Security findings", "audit.finding": "Finding", "audit.no_findings": "No security findings.",
    "audit.title": "Audit log", "audit.action": "Action starts with", "audit.actor": "Actor", "audit.outcome": "Outcome",
    "audit.since": "Since", "audit.limit": "At most", "audit.time": "Time", "audit.target": "Target", "audit.detail": "Detail",
    "audit.source": "Address", "audit.none": "No events.", "audit.count.one": "{n} event", "audit.count.other": "{n} events",
    "outcome.success": "Success", "outcome.failure": "Failure", "outcome.denied": "Denied",
    "actor.user": "User", "actor.api_key": "API key", "actor.shell": "Shell", "actor.anonymous": "Anonymous", "actor.external": "External",
    "settings.title": "Settings", "settings.org": "Organisation", "settings.org_name": "Name", "settings.sessions": "Sessions",
    "settings.idle": "Sign out after inactivity (minutes)", "settings.idle_hint": "Applies to this console. The members' app stays signed in while it is open, so alerts keep coming.",
    "settings.language": "Language of messages", "settings.language_hint": "For SMS, email, radio texts and answer pages to people who chose no language of their own.",
    "settings.lifetime": "A session lasts at most (hours)", "settings.passwords": "Passwords", "settings.pw_length": "Minimum length",
    "settings.pw_strength": "Minimum strength", "settings.pw_age": "Change every (days)", "settings.pw_age_hint": "Empty: never.",
    "settings.strength_0": "0 – no requirement", "settings.strength_1": "1 – very weak", "settings.strength_2": "2 – weak",
    "settings.strength_3": "3 – strong", "settings.strength_4": "4 – very strong",
    "settings.require_2fa": "Second factor required for roles", "settings.integrations": "Integrations",
    "settings.rate": "Automated alerts per minute at most", "settings.rate_hint": "A runaway integration can't cause an alarm storm.",
    "settings.replies": "Answers by SMS and radio",
    "settings.replies_hint": "Codes people reply with, and the answer option each gives (1 = the first, Coming).",
    "settings.reply_codes": "Reply codes", "settings.status_replies": "TETRA status replies", "settings.option": "Answer option",
    "users.contact": "Contact", "audit.action_col": "Action",
    "users.has_2fa": "Second factor on",
    "settings.option_n": "Option {n}", "settings.add_row": "Add",
    "settings.security": "Security monitoring", "settings.security_hint": "Who is told when the audit trail shows an attack or something unusual. With nobody named, the admins are.",
    "settings.sec_contacts": "Contacts (usernames, comma-separated)", "settings.sec_groups": "Contact groups", "settings.sec_channels": "Tell them by",
    "settings.sec_per_account": "Failed logins per account", "settings.sec_per_address": "Failed logins per address", "settings.sec_window": "Within (minutes)",
    "settings.sec_rules": "Rules on", "settings.rule.failed_logins_account": "Failed logins for one account", "settings.rule.failed_logins_address": "Failed logins from one address", "settings.rule.lockout": "Lockouts", "settings.rule.privilege": "Roles and permissions changed", "settings.rule.api_key": "API key created", "settings.rule.new_network": "Login from a new network", "settings.rule.personal_data_export": "Personal data exported", "settings.rule.device_wipe": "Device wipe ordered", "settings.rule.backup": "Backup failed", "settings.rule.audit_chain": "Audit chain does not verify", "settings.rule.shipping_lag": "Log server falling behind",
  };

  const FI = {
    "app.title": "Tocsin",
    "page.login": "Kirjautuminen", "page.password": "Salasanan vaihto", "page.enroll": "Kaksivaiheinen tunnistautuminen",
    "page.account": "Oma tili", "page.send": "Lähetä hälytys", "page.print": "Tulostus", "page.live": "Tilannenäkymä",
    "page.alerts": "Hälytykset", "page.people": "Henkilöt", "page.templates": "Hälytyspohjat", "page.rules": "Hälytyssäännöt",
    "page.hardware": "Laitteisto", "page.access": "Avaimet ja laitteet", "page.audit": "Tapahtumaloki", "page.settings": "Asetukset",
    "page.home": "Etusivu",
    "nav.label": "Päävalikko", "nav.logout": "Kirjaudu ulos", "nav.send": "Lähetä hälytys", "nav.alerts": "Hälytykset",
    "nav.people": "Henkilöt", "nav.templates": "Hälytyspohjat", "nav.rules": "Hälytyssäännöt", "nav.hardware": "Laitteisto",
    "nav.access": "Avaimet ja laitteet", "nav.audit": "Tapahtumaloki", "nav.settings": "Asetukset", "nav.appliance": "Organisaatiot",
    "appliance.title": "Organisaatiot ja niiden lähettäjät",
    "appliance.intro": "Modeemit ja radiot ovat yhteisiä. Kunkin organisaation tekstiviesti-käynnistimet ja TETRA-säännöt näkevät vain sille tässä osoitetut lähettäjät; lähettäjä kuuluu enintään yhdelle organisaatiolle.",
    "appliance.none": "Ei vielä organisaatioita.", "appliance.sms_numbers": "Puhelinnumerot",
    "appliance.sms_hint": "Numerot kansainvälisessä muodossa (+358…) pilkuin eroteltuina.",
    "appliance.tetra_ssis": "TETRA-ISSI- ja GSSI-tunnukset", "appliance.tetra_hint": "Numerot pilkuin eroteltuina.",
    "appliance.saved": "Organisaation {org} lähettäjät tallennettu.", "appliance.unassigned": "Viestit, jotka eivät kuulu millekään organisaatiolle",
    "common.any": "Kaikki", "common.cancel": "Peruuta", "common.close": "Sulje", "common.confirm": "Vahvista", "common.delete": "Poista",
    "common.deleted": "Poistettu.", "common.edit": "Muokkaa", "common.filter": "Suodata", "common.language": "Kieli", "common.no": "Ei",
    "common.yes": "Kyllä", "common.not_allowed_title": "Ei käytettävissä", "common.not_allowed": "Roolisi ei anna pääsyä tälle sivulle.",
    "common.ok": "OK", "common.refresh": "Päivitä", "common.remove": "Poista", "common.required": "Pakollinen.", "common.save": "Tallenna",
    "common.saved": "Tallennettu.", "common.search": "Hae", "common.skip": "Siirry sisältöön",
    "dur.s": "{s} s", "dur.m": "{m} min", "dur.m_s": "{m} min {s} s", "dur.h_m": "{h} h {m} min",
    "err.generic": "Jokin meni vikaan.",
    "err.network": "Järjestelmään ei saada yhteyttä. Tarkista yhteys ja yritä uudelleen.",
    "err.login_refused": "Väärä organisaatio, käyttäjätunnus, salasana tai koodi.",
    "err.throttled": "Liian monta yritystä. Yritä uudelleen {s} sekunnin kuluttua.",
    "err.not_json": "Pyyntöä ei ymmärretty (ei JSON-muotoa).",
    "err.body_unreadable": "Pyyntö on liian suuri.",
    "err.unauthorized": "Kirjaudu uudelleen.",
    "err.second_factor_required": "Anna vahvistuskoodi.",
    "err.no_modem": "Tekstiviestikoodit vaativat modeemin, eikä sellaista ole määritetty.",
    "err.device_wiped": "Ylläpitäjä on tyhjentänyt ja estänyt tämän laitteen.",
    "err.needs_login": "Kirjaudu sisään.",
    "err.csrf": "Istuntosi on vanhentunut. Kirjaudu uudelleen.",
    "err.password_change_required": "Vaihda ensin salasanasi.",
    "err.second_factor_enrolment_required": "Ota ensin käyttöön kaksivaiheinen tunnistautuminen.",
    "err.rate_guard": "Liian monta automaattista hälytystä tällä minuutilla. Odota ja yritä uudelleen.",
    "err.forbidden": "Roolisi ei salli tätä.",
    "err.not_found": "Ei löytynyt. Se on ehkä poistettu.",
    "err.storage": "Järjestelmä ei pystynyt tallentamaan tätä. Yritä uudelleen; jos vika toistuu, ota yhteys tukeen.",
    "err.internal": "Järjestelmä ei pystynyt suorittamaan pyyntöä loppuun.",
    "login.title": "Kirjaudu sisään", "login.intro": "Tocsin-hälytyskonsoli", "login.org": "Organisaatio",
    "login.username": "Käyttäjätunnus", "login.password": "Salasana", "login.code": "Vahvistuskoodi",
    "login.code_sms": "Koodi lähetettiin tekstiviestinä numeroon, joka päättyy {tail}. Anna se tai varakoodi.",
    "login.code_totp": "Anna todennussovelluksen näyttämä koodi tai varakoodi.",
    "login.code_wrong": "Koodi ei kelvannut. Yritä uudelleen.", "login.submit": "Kirjaudu",
    "login.note_expired": "Istuntosi on päättynyt. Kirjaudu uudelleen.",
    "login.note_wiped": "Ylläpitäjä on tyhjentänyt tämän laitteen.",
    "login.note_idle": "Sinut kirjattiin ulos, koska et ollut aktiivinen.",
    "login.note_logged_out": "Olet kirjautunut ulos.",
    "idle.warning": "Ei toimintaa: sinut kirjataan ulos {s} sekunnin kuluttua. Liikuta hiirtä tai paina näppäintä, niin pysyt kirjautuneena.",
    "password.title": "Vaihda salasana", "password.must": "Sinun on valittava uusi salasana ennen kuin voit jatkaa.",
    "password.current": "Nykyinen salasana", "password.new": "Uusi salasana", "password.again": "Uusi salasana uudelleen",
    "password.hint": "Noudata organisaation salasanakäytäntöä: pitkä salalause toimii parhaiten.",
    "password.mismatch": "Salasanat eivät täsmää.", "password.submit": "Vaihda salasana", "password.changed": "Salasana vaihdettu.",
    "enroll.title": "Ota käyttöön kaksivaiheinen tunnistautuminen",
    "enroll.must": "Roolisi edellyttää kaksivaiheista tunnistautumista. Ota se käyttöön, niin voit jatkaa.",
    "enroll.password": "Salasanasi, jotta tiedämme, että se olet sinä",
    "enroll.totp": "Todennussovellus",
    "enroll.totp_intro": "Lue QR-koodi todennussovelluksellasi (tai kirjoita avain) ja anna sitten sovelluksen näyttämä 6-numeroinen koodi.",
    "enroll.qr": "QR-koodi todennussovellusta varten",
    "enroll.secret": "Avain:", "enroll.code": "Koodi", "enroll.confirm": "Vahvista", "enroll.sms": "Koodit tekstiviestinä",
    "enroll.sms_to": "Tekstiviesti numeroon {phone}", "enroll.sms_sent": "Koodi lähetettiin numeroon {phone}.",
    "enroll.codes_title": "Varakoodit",
    "enroll.codes_intro": "Säilytä nämä koodit turvallisessa paikassa. Kukin toimii kerran, jos puhelimesi katoaa. Ne näytetään vain nyt.",
    "enroll.continue": "Jatka",
    "account.title": "Oma tili", "account.me": "Omat tiedot", "account.sessions": "Istuntoni", "account.started": "Aloitettu",
    "account.last_seen": "Viimeksi käytetty", "account.source": "Osoite", "account.browser": "Selain",
    "account.this_session": "Tämä istunto", "account.end": "Lopeta",
    "home.title": "Tervetuloa", "home.member": "Tilisi vastaanottaa hälytyksiä. Seuraa ja vastaa niihin Tocsin-sovelluksella.",
    "sev.critical": "Kriittinen", "sev.warning": "Varoitus", "sev.info": "Tiedote",
    "ch.app": "Sovellus", "ch.sms": "Tekstiviesti", "ch.voice": "Puhelu", "ch.email": "Sähköposti", "ch.tetra": "TETRA",
    "ds.queued": "Jonossa", "ds.sending": "Lähetetään", "ds.sent": "Lähetetty", "ds.delivered": "Perillä", "ds.failed": "Epäonnistui",
    "ds.cancelled": "Peruttu", "ds.read": "luettu",
    "state.active": "Käynnissä", "state.cancelled": "Peruttu",
    "send.title": "Lähetä hälytys", "send.templates": "Hälytyspohjat",
    "send.template_loaded": "Pohja ”{name}” ladattu. Tarkista ja lähetä.", "send.message": "Viesti", "send.title_label": "Otsikko",
    "send.body_label": "Viestin teksti", "send.severity": "Vakavuus", "send.recipients": "Vastaanottajat", "send.groups": "Ryhmät",
    "send.people": "Hae henkilöitä", "send.search_placeholder": "Nimi, tunnus tai numero", "send.no_match": "Ketään ei löytynyt.",
    "send.address": "Muu numero, sähköposti tai radio", "send.address_placeholder": "+358… / nimi@esimerkki.fi / ISSI",
    "send.address_hint": "Puhelinnumerot kansainvälisessä muodossa (+358…), sähköpostiosoitteet, radion ISSI tai puheryhmä muodossa G 1234.",
    "send.address_bad": "Ei puhelinnumero (+358…), sähköpostiosoite eikä ISSI.", "send.add": "Lisää",
    "send.roles": "Kaikki, joilla on rooli", "send.chosen": "Valitut", "send.nobody": "Ketään ei ole vielä valittu.",
    "send.kind_group": "Ryhmä", "send.kind_person": "Henkilö", "send.kind_role": "Rooli", "send.kind_phone": "Puhelin",
    "send.kind_email": "Sähköposti", "send.remove": "Poista {name}", "send.members.one": "{n} jäsen", "send.members.other": "{n} jäsentä",
    "send.channels": "Kanavat", "send.answers": "Vastausvaihtoehdot", "send.answers_hint": "Ensimmäinen vaihtoehto lasketaan tulijaksi.",
    "send.option_n": "Vaihtoehto {n}", "send.remove_option": "Poista vaihtoehto {n}", "send.add_option": "Lisää vaihtoehto",
    "send.allow_eta": "Kysy arvioitu saapumisaika", "send.allow_text": "Salli vapaamuotoiset vastaukset", "send.escalation": "Eskalointi",
    "send.next_channel_after": "Kokeile seuraavaa kanavaa (sekunnin kuluttua)",
    "send.next_channel_hint": "Jokainen tavoitetaan ensin yhdellä kanavalla; jos vastausta ei tule, seuraavalla.",
    "send.min_coming": "Jos tulijoita on vähemmän kuin", "send.coming_within": "ajassa (sekuntia)", "send.max_rounds": "Enintään (kierrosta)",
    "send.then_groups": "hälytä lisäksi", "send.tetra": "TETRA", "send.callout": "Lähetä hälytyskutsuna (äänimerkki, hyväksy/hylkää)",
    "send.callout_severity": "Kutsun prioriteetti (1–15)", "send.callout_hint": "Tyhjä: vakavuuden mukaan.",
    "send.seal": "Salaa teksti salasanalla (valinnainen)", "send.seal_hint": "Käytä etukäteen sovittua salasanaa. Teksti salataan tässä selaimessa eikä laite näe sitä koskaan; tekstiviesti, sähköposti ja radio saavat sen sijaan linkin jäsenten sovellukseen.",
    "send.location": "Sijainti (valinnainen)", "send.lat": "Leveysaste", "send.lon": "Pituusaste", "send.location_label": "Paikan nimi", "send.location_bad": "Anna sekä leveys- että pituusaste asteina.",
    "live.sealed": "Salattu teksti: vain salasanan tietävät jäsenet voivat lukea sen.",
    "live.location": "Sijainti: {place}",
    "send.seal_no_template": "Salattavaa tekstiä ei tallenneta malliin, jossa se olisi luettavissa. Tyhjennä ensin salasana tai teksti.",
    "send.summary": "Yhteenveto", "send.people_estimate": "henkilöä (arvio)",
    "send.estimate_uncertain": "Kaikkia vastaanottajia ei voi laskea tässä; tarkat luvut saadaan lähetyksen jälkeen.",
    "send.deliveries": "Lähetykset kanavittain", "send.deliveries_first": "Lähetykset aluksi (sitten eskalointi)",
    "send.unreachable.one": "{n} henkilöllä ei ole osoitetta valituille kanaville",
    "send.unreachable.other": "{n} henkilöllä ei ole osoitetta valituille kanaville",
    "send.sms_time": "Kaikki tekstiviestit lähetetty", "send.sms_none": "Tässä hälytyksessä ei ole tekstiviestejä.",
    "send.sms_unknown": "Ei tiedossa (modeemien tila ei näy roolillesi).", "send.no_modem": "Yksikään modeemi ei ole valmiina",
    "send.sms_eta": "noin {time} kuluttua", "send.sms_queued.one": "{n} tekstiviesti jo jonossa",
    "send.sms_queued.other": "{n} tekstiviestiä jo jonossa",
    "send.submit": "Lähetä hälytys…", "send.save_template": "Tallenna pohjaksi", "send.clear": "Tyhjennä",
    "send.confirm_title": "Lähetetäänkö hälytys nyt?", "send.confirm": "Lähetä nyt", "send.sent": "Hälytys lähetetty {n} henkilölle.",
    "send.need_title": "Kirjoita otsikko.", "send.need_channel": "Valitse vähintään yksi kanava.",
    "send.need_recipients": "Valitse vähintään yksi vastaanottaja.", "send.default_yes": "Tulossa", "send.default_no": "Ei tulossa",
    "live.counters": "Hälytyksen tila", "live.reached": "Tavoitettu", "live.coming": "Tulossa", "live.not-coming": "Ei tulossa",
    "live.no-answer": "Ei vastausta", "live.of": "/ {n}", "live.deliveries": "Lähetykset", "live.sent_by": "Lähettäjä {by}, {at}",
    "live.accepted": "Vastaanotettu {n} henkilölle:", "live.duplicate": "tämä hälytys oli jo lähetetty",
    "live.cancel": "Peruuta hälytys", "live.all_clear": "Vaara ohi", "live.update": "Lähetä päivitys", "live.keep": "Älä peruuta",
    "live.cancel_title": "Perutaanko hälytys?",
    "live.cancel_text": "Lähettämättömät viestit pysäytetään. Kenellekään ei ilmoiteta, että hälytys on ohi.",
    "live.cancel_confirm": "Peruuta hälytys", "live.all_clear_title": "Lähetetäänkö vaara ohi -ilmoitus?",
    "live.all_clear_text": "Hälytys perutaan, ja kaikille tavoitetuille ilmoitetaan samoja kanavia pitkin, että tilanne on ohi.",
    "live.all_clear_confirm": "Lähetä vaara ohi", "live.cancelled": "Hälytys peruttu.",
    "live.all_clear_sent": "Hälytys peruttu; vaara ohi -ilmoitus lähtee.", "live.open_all_clear": "Avaa vaara ohi -ilmoitus",
    "live.update_title": "Lähetä päivitys", "live.update_hint": "Kaikki tavoitetut saavat uuden tekstin päivityksenä.",
    "live.update_send": "Lähetä päivitys", "live.update_sent": "Päivitys lähetetty.", "live.recipients": "Vastaanottajat",
    "live.filter": "Näytä", "live.search": "Hae nimellä", "live.f_all": "Kaikki", "live.f_no_answer": "Ei vastausta",
    "live.f_coming": "Tulossa", "live.f_not_coming": "Ei tulossa", "live.f_unreached": "Ei vielä tavoitettu",
    "live.f_failed": "Epäonnistuneet lähetykset", "live.name": "Nimi", "live.via": "Valintaperuste", "live.answer": "Vastaus",
    "live.eta": "Saapumisaika", "live.eta_value": "{m} min (≈ {at})", "live.no_answer_short": "Ei vastausta",
    "live.no_channel": "Ei kanavaa", "live.no_rows": "Ei näytettävää.", "live.rows_capped": "Näytetään {shown}/{all}. Rajaa suodattimella.",
    "live.timeline": "Tapahtumat", "live.timeline_empty": "Ei vielä tapahtumia.", "live.conn_connecting": "Yhdistetään…",
    "live.conn_live": "● Reaaliaikainen", "live.conn_reconnecting": "Yhdistetään uudelleen…",
    "live.conn_lost": "Yhteys katkesi; yritetään uudelleen", "live.attempts.one": "{n} yritys", "live.attempts.other": "{n} yritystä",
    "via.user": "Henkilö", "via.phone": "Puhelinnumero", "via.email": "Sähköpostiosoite", "via.tetra_issi": "Radio (ISSI)",
    "via.tetra_gssi": "Puheryhmä", "via.group": "Ryhmä {name}", "via.role": "Rooli {name}",
    "tlk.created": "Luotu", "tlk.escalation": "Eskalointi", "tlk.response": "Vastaus", "tlk.note": "Viesti", "tlk.cancelled": "Peruttu",
    "tlk.updated": "Päivitetty", "tlk.trigger_merged": "Laukaistu uudelleen", "tlk.tetra_group_sent": "Puheryhmä",
    "tl.created": "{by} lähetti {n} henkilölle ({deliveries})", "tl.created_follow_up": "{by} lähetti jatkoviestin {n} henkilölle",
    "tl.next_channel": "{name}: kokeillaan kanavaa {channel}",
    "tl.more_groups": "Kierros {round}: {coming}/{wanted} tulossa; {added} henkilöä lisää hälytetty",
    "tl.response": "{name}: {choice} ({channel})", "tl.eta": "saapuu {m} min kuluttua", "tl.note": "{from} ({channel}): {text}",
    "tl.cancelled": "{by} perui hälytyksen", "tl.cancelled_all_clear": "{by} perui hälytyksen; vaara ohi lähetetty",
    "tl.updated": "{by} päivitti: {title}", "tl.merged": "{by} laukaisi uudelleen ({template}); liitetty tähän hälytykseen",
    "tl.group_sent": "Lähetetty puheryhmään {gssi} radiolla {radio}",
    "history.title": "Hälytykset", "history.search": "Otsikossa on", "history.severity": "Vakavuus", "history.state": "Tila",
    "history.from": "Alkaen", "history.to": "Asti", "history.time": "Aika", "history.alert": "Hälytys", "history.by": "Lähettäjä",
    "history.csv": "CSV", "history.print": "Tulosta", "history.none": "Ei hälytyksiä.", "history.count": "{n}/{all} hälytystä",
    "csv.alert": "Hälytys", "csv.recipient": "Vastaanottaja", "csv.channel": "Kanava", "csv.state": "Tila", "csv.attempts": "Yritykset",
    "csv.error": "Virhe", "csv.read_at": "Luettu", "csv.answer_text": "Vastausteksti", "csv.answered_at": "Vastattu",
    "csv.event": "Tapahtuma", "csv.detail": "Tiedot",
    "print.back": "Takaisin hälytykseen", "print.printed": "Tulostettu {at}",
    "people.title": "Henkilöt", "people.tab_users": "Käyttäjät", "people.tab_groups": "Ryhmät", "people.tab_roles": "Roolit",
    "people.tab_import": "Tuonti",
    "users.count.one": "{n} henkilö", "users.count.other": "{n} henkilöä", "users.name": "Nimi", "users.username": "Käyttäjätunnus",
    "users.username_hint": "2–64 merkkiä: pienet kirjaimet, numerot, - _ .", "users.phones": "Puhelinnumerot",
    "users.phones_hint": "Kansainvälisessä muodossa (+358…); erota useampi puolipisteellä.", "users.email": "Sähköposti",
    "users.issi": "TETRA-ISSI", "users.language": "Kieli", "users.lang_none": "Organisaation oletus",
    "users.channels": "Ensisijaiset kanavat", "users.channels_hint": "Jätä tyhjäksi, niin käytetään kunkin hälytyksen kanavia.",
    "users.groups": "Ryhmät", "users.roles": "Roolit", "users.login": "Kirjautuminen", "users.receive_only": "Vain vastaanotto",
    "users.must_change": "Salasana vaihdettava", "users.second_factor": "Kaksivaiheinen", "users.none": "Ei vielä ketään.",
    "users.set_password": "Salasana", "users.reset_2fa": "Nollaa kaksivaiheinen tunnistautuminen",
    "users.reset_2fa_text": "Henkilön {name} on otettava kaksivaiheinen tunnistautuminen uudelleen käyttöön seuraavalla kirjautumisella; hänen istuntonsa päättyvät nyt.",
    "users.reset_2fa_done": "Kaksivaiheinen tunnistautuminen nollattu.", "users.end_sessions": "Kirjaa ulos kaikkialta",
    "users.end_sessions_text": "Lopetetaanko kaikki henkilön {name} istunnot?", "users.sessions_ended.one": "{n} istunto lopetettu.",
    "users.sessions_ended.other": "{n} istuntoa lopetettu.", "users.delete_title": "Poistetaanko henkilö?",
    "users.delete_text": "{name} ei enää saa hälytyksiä. Tätä ei voi perua.", "users.add": "Lisää henkilö",
    "users.create": "Lisää henkilö", "users.created": "{name} lisätty.", "users.edit_title": "Muokkaa: {name}",
    "users.password_optional": "Salasana (vain kirjautuville)",
    "users.password_hint": "Jätä tyhjäksi, jos henkilö vain vastaanottaa hälytyksiä.",
    "users.must_change_next": "Salasana vaihdettava seuraavalla kirjautumisella", "users.password_title": "Uusi salasana: {name}",
    "users.password_set": "Salasana asetettu.",
    "groups.count.one": "{n} ryhmä", "groups.count.other": "{n} ryhmää", "groups.name": "Nimi", "groups.members": "Jäsenet",
    "groups.members_hint": "Käyttäjätunnukset pilkuilla erotettuina.", "groups.pick": "Valitse luettelosta",
    "groups.none": "Ei vielä ryhmiä.", "groups.add": "Uusi ryhmä", "groups.create": "Luo ryhmä", "groups.created": "Ryhmä {name} luotu.",
    "groups.edit_title": "Muokkaa ryhmää {name}", "groups.delete_title": "Poistetaanko ryhmä?",
    "groups.delete_text": "Poistetaanko ryhmä {name}? Sen jäsenet säilyvät.",
    "roles.count.one": "{n} rooli", "roles.count.other": "{n} roolia", "roles.name": "Nimi", "roles.description": "Kuvaus",
    "roles.permissions": "Oikeudet", "roles.alert_groups": "Hälytettävät ryhmät", "roles.limit_groups": "Vain nämä ryhmät",
    "roles.any_group": "Mikä tahansa ryhmä", "roles.no_groups": "Ei yhtään", "roles.built_in": "Valmis rooli", "roles.add": "Uusi rooli",
    "roles.create": "Luo rooli", "roles.created": "Rooli {name} luotu.", "roles.edit_title": "Muokkaa roolia {name}",
    "roles.admin_all": "Admin-roolilla on aina kaikki oikeudet.", "roles.delete_title": "Poistetaanko rooli?",
    "roles.delete_text": "Poistetaanko rooli {name}?",
    "perm.read_directory": "Henkilöiden ja ryhmien katselu", "perm.manage_users": "Henkilöiden hallinta",
    "perm.manage_groups": "Ryhmien hallinta", "perm.manage_roles": "Roolien hallinta", "perm.send_alerts": "Hälytysten lähetys",
    "perm.read_audit": "Tapahtumalokin katselu", "perm.manage_devices": "Laitteiden ja laitteiston hallinta",
    "perm.manage_settings": "Asetusten ja pohjien hallinta", "perm.manage_api_keys": "API-avainten hallinta",
    "import.title": "Tuo henkilöitä CSV-tiedostosta",
    "import.intro": "Ensimmäinen rivi nimeää sarakkeet: username,name,phones,email,tetra_issi,groups,roles,language. Erota useat puhelinnumerot tai ryhmät puolipisteellä. Esikatsele ensin: mitään ei tallenneta ennen tuontia.",
    "import.file": "CSV-tiedosto", "import.text": "CSV-teksti", "import.preview": "Esikatsele", "import.run": "Tuo", "import.row": "Rivi",
    "import.status": "Tila", "import.errors": "Ongelmat", "import.ok": "OK", "import.imported": "Tuotu", "import.refused": "Hylätty",
    "import.read_failed": "Tiedostoa ei voitu lukea.",
    "import.preview_summary": "Valmiina tuontiin: {good}. Ongelmia: {bad} (näitä rivejä ei tuoda).",
    "import.done_summary": "Tuotu: {n}. Hylätty: {bad}.",
    "templates.title": "Hälytyspohjat", "templates.none": "Ei vielä pohjia.", "templates.new": "Uusi pohja", "templates.name": "Nimi",
    "templates.name_hint": "Pienet kirjaimet, numerot, - _ .", "templates.button": "Painikkeen teksti",
    "templates.button_roles": "Jäsenten sovellus: roolit, jotka voivat painaa", "templates.button_roles_hint": "Roolien nimet pilkuin erotettuina. Ne lähettävät juuri tämän mallin, vaikka niillä ei olisi oikeutta lähettää hälytyksiä.",
    "templates.merge": "Yhdistämisaika", "templates.merge_seconds": "Yhdistämisaika (sekuntia)",
    "templates.merge_hint": "Jos pohja laukaistaan uudelleen tämän ajan sisällä, se liitetään käynnissä olevaan hälytykseen.",
    "templates.last_fired": "Viimeksi laukaistu", "templates.fire": "Laukaise", "templates.use": "Avaa lähetyssivulla",
    "templates.fire_title": "Laukaistaanko ”{name}”?",
    "templates.fire_merge": "Jos pohja on laukaistu viimeisen {d} aikana ja hälytys on yhä käynnissä, tämä liitetään siihen.",
    "templates.fire_confirm": "Laukaise nyt", "templates.merged": "Liitetty jo käynnissä olevaan hälytykseen.",
    "templates.delete_title": "Poistetaanko pohja?",
    "templates.delete_text": "Poistetaanko pohja {name}? Sitä käyttävät säännöt lakkaavat toimimasta.",
    "templates.edit_title": "Muokkaa pohjaa {name}", "templates.create": "Luo pohja", "templates.saved": "Pohja tallennettu.",
    "templates.save_as": "Tallenna pohjaksi", "templates.addresses.one": "{n} osoite", "templates.addresses.other": "{n} osoitetta",
    "rules.title": "Hälytyssäännöt", "rules.tetra": "Saapuvien TETRA-hälytysten säännöt",
    "rules.intro": "Hätäkeskuksen viesti, joka vastaa sääntöä, laukaisee säännön pohjan. Säännöt käydään läpi ylhäältä alas; ensimmäinen osuma ratkaisee.",
    "rules.none": "Ei vielä sääntöjä.", "rules.rule_n": "Sääntö {n}", "rules.name": "Nimi", "rules.from": "Lähettäjien ISSI:t",
    "rules.from_hint": "Tyhjä: kuka tahansa lähettäjä. Erota pilkuilla.", "rules.template": "Pohja", "rules.match": "Ehto",
    "rules.mode_pattern": "Tekstikuvio", "rules.mode_status": "Tila", "rules.status": "Tila",
    "rules.pattern": "Kuvio (säännöllinen lauseke)",
    "rules.pattern_hint": "Nimetyt ryhmät, kuten (?P<address>.+), lisätään hälytykseen.",
    "rules.up": "Siirrä ylös", "rules.down": "Siirrä alas", "rules.add": "Lisää sääntö", "rules.save": "Tallenna säännöt",
    "rules.test_title": "Testaa viesti", "rules.test_intro": "Minkä tallennetun säännön tämä viesti laukaisisi? Mitään ei lähetetä.",
    "rules.test_from": "Lähettäjän ISSI", "rules.test_from_bad": "Anna lähettäjän ISSI (numeroina).", "rules.test_text": "Teksti",
    "rules.test": "Testaa", "rules.test_match": "Osuu sääntöön {rule} → pohja {template}", "rules.test_none": "Mikään sääntö ei osu.",
    "rules.triggers": "Tekstiviestilaukaisut",
    "rules.triggers_intro": "Numerot, joista voi käynnistää hälytyksen tekstiviestillä: ”PIN pohja [sanoja]”.",
    "rules.no_triggers": "Ei tekstiviestilaukaisuja.", "rules.trigger_n": "Numero {n}", "rules.number": "Puhelinnumero",
    "rules.pin": "PIN", "rules.pin_hint": "6–12 numeroa; tallennetaan vain tiivisteenä.", "rules.pin_unchanged": "ennallaan",
    "rules.trigger_templates": "Saa laukaista (tyhjä: minkä tahansa pohjan)", "rules.add_trigger": "Lisää numero",
    "rules.save_triggers": "Tallenna tekstiviestilaukaisut",
    "backup.title": "Varmuuskopiot", "backup.target": "Kohde", "backup.state": "Tila", "backup.last_success": "Uusin kopio kohteessa",
    "backup.problem": "Ongelma", "backup.ok": "Ajan tasalla", "backup.failing": "Epäonnistuu", "backup.waiting": "Ei vielä perillä",
    "backup.since": "{at} alkaen:", "backup.newest": "Uusin varmuuskopio {name}, otettu {at}.", "backup.none": "Varmuuskopiota ei ole vielä otettu.",
    "hardware.title": "Laitteisto", "hardware.health": "Kunto", "hardware.store": "Tietovarasto",
    "hardware.sms_queue": "Tekstiviestejä jonossa", "hardware.capacity": "Tekstiviestikapasiteetti", "hardware.per_minute": "{n} / min",
    "hardware.outbox": "Lähtevät jonossa", "hardware.storage": "Tallennustila",
    "hardware.no_modems": "Ei modeemeja", "hardware.to_empty": "Jonon purkuaika",
    "hardware.none": "Modeemeja tai radioita ei ole määritetty.", "hardware.auto": "Päivitä 30 s välein", "hardware.model": "Malli",
    "hardware.port": "Portti", "hardware.registration": "Verkko", "hardware.signal": "Signaali", "hardware.queue": "Jono",
    "hardware.sent": "Lähetetty", "hardware.received": "Vastaanotettu", "hardware.avg_send": "Keskimääräinen lähetysaika",
    "hardware.since": "Tilassa alkaen", "hardware.last_error": "Viimeisin virhe ({at}):", "hardware.kind_modem": "Modeemi",
    "hardware.kind_radio": "Radio", "hardware.test_title": "Lähetä testiviesti", "hardware.test_phone": "Numeroon",
    "hardware.test_issi": "ISSI:lle", "hardware.test_text": "Teksti", "hardware.test_default": "Tocsin-testiviesti",
    "hardware.test_send": "Lähetä testi", "hardware.test_sending": "Lähetetään…", "hardware.test_ok": "Lähetetty.",
    "hardware.test_failed": "Ei lähetetty: {why}",
    "dev.disconnected": "Ei yhteyttä", "dev.initialising": "Käynnistyy", "dev.ready": "Valmis", "dev.resetting": "Nollataan",
    "health.ready": "Valmis", "health.degraded": "Heikentynyt", "health.not_ready": "Ei valmis", "health.unknown": "Ei tiedossa",
    "inbound.title": "Saapuneet viestit", "inbound.time": "Saapunut", "inbound.channel": "Kanava", "inbound.from": "Lähettäjä",
    "inbound.to": "Vastaanottaja", "inbound.text": "Teksti", "inbound.handling": "Käsittely", "inbound.response": "Vastaus: {choice}",
    "inbound.note": "Viesti hälytykseen", "inbound.trigger": "Käynnisti hälytyksen", "inbound.ignored": "Ohitettu: {why}",
    "inbound.pending": "Odottaa", "inbound.open": "Avaa hälytys", "inbound.incomplete": "Osa tästä pitkästä tekstiviestistä ei tullut",
    "inbound.none": "Ei viestejä.",
    "access.title": "Avaimet ja laitteet", "access.keys": "API-avaimet", "access.new_key": "Uusi API-avain", "access.key_name": "Nimi",
    "access.key_role": "Rooli", "access.created": "Luotu", "access.expires": "Vanhenee", "access.never": "Ei koskaan",
    "access.last_used": "Viimeksi käytetty", "access.status": "Tila", "access.key_active": "Voimassa", "access.key_revoked": "Mitätöity",
    "access.key_expired": "Vanhentunut", "access.revoke": "Mitätöi", "access.revoke_title": "Mitätöidäänkö avain?",
    "access.revoke_text": "Avainta {name} käyttävät integraatiot lakkaavat toimimasta heti.", "access.revoked": "Avain mitätöity.",
    "access.expires_days": "Vanhenee (päivää)", "access.expires_hint": "Tyhjä: ei koskaan.", "access.create_key": "Luo avain",
    "access.secret_once": "Kopioi avain nyt: se näytetään vain kerran.", "access.copy": "Kopioi", "access.copied": "Kopioitu.",
    "access.copy_manual": "Avain valittu: kopioi painamalla Ctrl+C.", "access.done": "Valmis", "access.no_keys": "Ei API-avaimia.",
    "access.devices": "Jäsenten laitteet", "access.person": "Henkilö", "access.device": "Laite", "access.platform": "Alusta",
    "access.first_seen": "Käytössä alkaen", "access.last_seen": "Viimeksi nähty", "access.no_devices": "Ei laitteita.",
    "access.block": "Estä", "access.wipe": "Tyhjennä", "access.block_title": "Estetäänkö laite?",
    "access.block_text": "Henkilön {who} laite {name} kirjataan ulos, eikä sillä voi enää kirjautua.",
    "access.wipe_title": "Tyhjennetäänkö laite?",
    "access.wipe_text": "Henkilön {who} laite {name} poistaa Tocsinin tiedot seuraavalla yhteydellä, minkä jälkeen se estetään.",
    "access.blocked": "Laite estetty.", "access.wipe_ordered": "Tyhjennys määrätty.", "access.dev_active": "Käytössä",
    "access.dev_blocked": "Estetty", "access.dev_wipe_pending": "Tyhjennys odottaa", "access.dev_wiped": "Tyhjennetty",
    "audit.findings": "Tietoturvahavainnot", "audit.finding": "Havainto", "audit.no_findings": "Ei tietoturvahavaintoja.",
    "audit.title": "Tapahtumaloki", "audit.action": "Toiminto alkaa", "audit.actor": "Tekijä", "audit.outcome": "Tulos",
    "audit.since": "Alkaen", "audit.limit": "Enintään", "audit.time": "Aika", "audit.target": "Kohde", "audit.detail": "Tiedot",
    "audit.source": "Osoite", "audit.none": "Ei tapahtumia.", "audit.count.one": "{n} tapahtuma", "audit.count.other": "{n} tapahtumaa",
    "outcome.success": "Onnistui", "outcome.failure": "Epäonnistui", "outcome.denied": "Estetty",
    "actor.user": "Käyttäjä", "actor.api_key": "API-avain", "actor.shell": "Komentorivi", "actor.anonymous": "Tunnistamaton",
    "actor.external": "Ulkoinen",
    "settings.title": "Asetukset", "settings.org": "Organisaatio", "settings.org_name": "Nimi", "settings.sessions": "Istunnot",
    "settings.idle": "Uloskirjaus käyttämättömyyden jälkeen (min)", "settings.idle_hint": "Koskee tätä konsolia. Jäsenten sovellus pysyy kirjautuneena niin kauan kuin se on auki, jotta hälytykset tulevat perille.",
    "settings.language": "Viestien kieli", "settings.language_hint": "Tekstiviesteihin, sähköposteihin, radioteksteihin ja vastaussivuihin niille, jotka eivät ole valinneet omaa kieltä.",
    "settings.lifetime": "Istunnon enimmäiskesto (h)", "settings.passwords": "Salasanat", "settings.pw_length": "Vähimmäispituus",
    "settings.pw_strength": "Vähimmäisvahvuus", "settings.pw_age": "Vaihtoväli (päivää)", "settings.pw_age_hint": "Tyhjä: ei koskaan.",
    "settings.strength_0": "0 – ei vaatimusta", "settings.strength_1": "1 – hyvin heikko", "settings.strength_2": "2 – heikko",
    "settings.strength_3": "3 – vahva", "settings.strength_4": "4 – hyvin vahva",
    "settings.require_2fa": "Kaksivaiheinen tunnistautuminen pakollinen rooleille", "settings.integrations": "Integraatiot",
    "settings.rate": "Automaattisia hälytyksiä enintään minuutissa",
    "settings.rate_hint": "Karannut integraatio ei voi aiheuttaa hälytysmyrskyä.",
    "settings.replies": "Vastaukset tekstiviestillä ja radiolla",
    "settings.replies_hint": "Koodit, joilla vastataan, ja mitä vastausvaihtoehtoa kukin tarkoittaa (1 = ensimmäinen, Tulossa).",
    "settings.reply_codes": "Vastauskoodit", "settings.status_replies": "TETRA-tilavastaukset", "settings.option": "Vastausvaihtoehto",
    "users.contact": "Yhteystiedot", "audit.action_col": "Toiminto",
    "users.has_2fa": "Kaksivaiheinen käytössä",
    "settings.option_n": "Vaihtoehto {n}", "settings.add_row": "Lisää",
    "settings.security": "Tietoturvavalvonta", "settings.security_hint": "Kenelle kerrotaan, kun tapahtumaloki näyttää hyökkäyksen tai jotain epätavallista. Jos ketään ei nimetä, kerrotaan ylläpitäjille.",
    "settings.sec_contacts": "Yhteyshenkilöt (käyttäjätunnukset pilkuin eroteltuina)", "settings.sec_groups": "Yhteysryhmät", "settings.sec_channels": "Kerrotaan",
    "settings.sec_per_account": "Epäonnistuneita kirjautumisia tilille", "settings.sec_per_address": "Epäonnistuneita kirjautumisia osoitteesta", "settings.sec_window": "Aikaikkuna (min)",
    "settings.sec_rules": "Käytössä olevat säännöt", "settings.rule.failed_logins_account": "Epäonnistuneet kirjautumiset yhdelle tilille", "settings.rule.failed_logins_address": "Epäonnistuneet kirjautumiset yhdestä osoitteesta", "settings.rule.lockout": "Lukitukset", "settings.rule.privilege": "Roolit ja oikeudet muuttuneet", "settings.rule.api_key": "API-avain luotu", "settings.rule.new_network": "Kirjautuminen uudesta verkosta", "settings.rule.personal_data_export": "Henkilötietoja viety", "settings.rule.device_wipe": "Laitteen tyhjennys määrätty", "settings.rule.backup": "Varmuuskopio epäonnistui", "settings.rule.audit_chain": "Tapahtumaketju ei täsmää", "settings.rule.shipping_lag": "Lokipalvelin jäljessä",
  };

  const SV = {
    "app.title": "Tocsin",
    "page.login": "Inloggning", "page.password": "Byt lösenord", "page.enroll": "Tvåstegsverifiering", "page.account": "Mitt konto",
    "page.send": "Skicka larm", "page.print": "Utskrift", "page.live": "Lägesbild", "page.alerts": "Larm", "page.people": "Personer",
    "page.templates": "Larmmallar", "page.rules": "Larmregler", "page.hardware": "Utrustning", "page.access": "Nycklar och enheter",
    "page.audit": "Händelselogg", "page.settings": "Inställningar", "page.home": "Start",
    "nav.label": "Huvudmeny", "nav.logout": "Logga ut", "nav.send": "Skicka larm", "nav.alerts": "Larm", "nav.people": "Personer",
    "nav.templates": "Larmmallar", "nav.rules": "Larmregler", "nav.hardware": "Utrustning", "nav.access": "Nycklar och enheter",
    "nav.audit": "Händelselogg", "nav.settings": "Inställningar", "nav.appliance": "Organisationer",
    "appliance.title": "Organisationer och deras avsändare",
    "appliance.intro": "Modemen och radioapparaterna delas. Varje organisations sms-utlösare och TETRA-regler ser bara de avsändare som tilldelats den här; en avsändare hör till högst en organisation.",
    "appliance.none": "Inga organisationer ännu.", "appliance.sms_numbers": "Telefonnummer",
    "appliance.sms_hint": "Nummer i internationell form (+358…), åtskilda med kommatecken.",
    "appliance.tetra_ssis": "TETRA-ISSI och GSSI", "appliance.tetra_hint": "Nummer, åtskilda med kommatecken.",
    "appliance.saved": "Avsändarna för {org} sparade.", "appliance.unassigned": "Meddelanden som ingen organisation äger",
    "common.any": "Alla", "common.cancel": "Avbryt", "common.close": "Stäng", "common.confirm": "Bekräfta", "common.delete": "Radera",
    "common.deleted": "Raderat.", "common.edit": "Redigera", "common.filter": "Filtrera", "common.language": "Språk", "common.no": "Nej",
    "common.yes": "Ja", "common.not_allowed_title": "Inte tillgänglig", "common.not_allowed": "Din roll ger inte tillgång till den här sidan.",
    "common.ok": "OK", "common.refresh": "Uppdatera", "common.remove": "Ta bort", "common.required": "Obligatoriskt.",
    "common.save": "Spara", "common.saved": "Sparat.", "common.search": "Sök", "common.skip": "Hoppa till innehållet",
    "dur.s": "{s} s", "dur.m": "{m} min", "dur.m_s": "{m} min {s} s", "dur.h_m": "{h} h {m} min",
    "err.generic": "Något gick fel.",
    "err.network": "Det går inte att nå systemet. Kontrollera anslutningen och försök igen.",
    "err.login_refused": "Fel organisation, användarnamn, lösenord eller kod.",
    "err.throttled": "För många försök. Försök igen om {s} sekunder.",
    "err.not_json": "Begäran förstods inte (inte JSON).",
    "err.body_unreadable": "Begäran är för stor.",
    "err.unauthorized": "Logga in igen.",
    "err.second_factor_required": "Ange verifieringskoden.",
    "err.no_modem": "Koder per sms kräver ett modem, och inget är konfigurerat.",
    "err.device_wiped": "En administratör har rensat och spärrat den här enheten.",
    "err.needs_login": "Logga in.",
    "err.csrf": "Din session har gått ut. Logga in igen.",
    "err.password_change_required": "Byt lösenord först.",
    "err.second_factor_enrolment_required": "Aktivera tvåstegsverifiering först.",
    "err.rate_guard": "För många automatiska larm den här minuten. Vänta och försök igen.",
    "err.forbidden": "Din roll tillåter inte detta.",
    "err.not_found": "Hittades inte. Det kan ha raderats.",
    "err.storage": "Systemet kunde inte spara detta. Försök igen; om felet kvarstår, kontakta supporten.",
    "err.internal": "Systemet kunde inte slutföra begäran.",
    "login.title": "Logga in", "login.intro": "Tocsin larmkonsol", "login.org": "Organisation", "login.username": "Användarnamn",
    "login.password": "Lösenord", "login.code": "Verifieringskod",
    "login.code_sms": "En kod skickades per sms till numret som slutar på {tail}. Ange den eller en reservkod.",
    "login.code_totp": "Ange koden från din autentiseringsapp eller en reservkod.",
    "login.code_wrong": "Koden fungerade inte. Försök igen.", "login.submit": "Logga in",
    "login.note_expired": "Din session har upphört. Logga in igen.",
    "login.note_wiped": "En administratör har rensat den här enheten.",
    "login.note_idle": "Du loggades ut efter en tid utan aktivitet.",
    "login.note_logged_out": "Du har loggat ut.",
    "idle.warning": "Ingen aktivitet: du loggas ut om {s} s. Rör musen eller tryck på en tangent för att förbli inloggad.",
    "password.title": "Byt lösenord", "password.must": "Du måste välja ett nytt lösenord innan du fortsätter.",
    "password.current": "Nuvarande lösenord", "password.new": "Nytt lösenord", "password.again": "Nytt lösenord igen",
    "password.hint": "Följ organisationens lösenordspolicy: långa lösenfraser fungerar bäst.",
    "password.mismatch": "Lösenorden stämmer inte överens.", "password.submit": "Byt lösenord",
    "password.changed": "Lösenordet har bytts.",
    "enroll.title": "Aktivera tvåstegsverifiering",
    "enroll.must": "Din roll kräver tvåstegsverifiering. Aktivera den för att fortsätta.",
    "enroll.password": "Ditt lösenord, för att bekräfta att det är du",
    "enroll.totp": "Autentiseringsapp",
    "enroll.totp_intro": "Skanna QR-koden med din autentiseringsapp (eller skriv in nyckeln) och ange sedan den sexsiffriga kod som visas.",
    "enroll.qr": "QR-kod för autentiseringsappen",
    "enroll.secret": "Nyckel:", "enroll.code": "Kod", "enroll.confirm": "Bekräfta", "enroll.sms": "Koder per sms",
    "enroll.sms_to": "Sms till {phone}", "enroll.sms_sent": "En kod skickades till {phone}.", "enroll.codes_title": "Reservkoder",
    "enroll.codes_intro": "Förvara koderna på ett säkert ställe. Varje kod fungerar en gång om du tappar bort telefonen. De visas bara nu.",
    "enroll.continue": "Fortsätt",
    "account.title": "Mitt konto", "account.me": "Mina uppgifter", "account.sessions": "Mina sessioner", "account.started": "Startad",
    "account.last_seen": "Senast använd", "account.source": "Adress", "account.browser": "Webbläsare",
    "account.this_session": "Den här sessionen", "account.end": "Avsluta",
    "home.title": "Välkommen", "home.member": "Ditt konto tar emot larm. Följ och svara på dem i Tocsin-appen.",
    "sev.critical": "Kritisk", "sev.warning": "Varning", "sev.info": "Info",
    "ch.app": "App", "ch.sms": "Sms", "ch.voice": "Samtal", "ch.email": "E-post", "ch.tetra": "TETRA",
    "ds.queued": "I kö", "ds.sending": "Skickas", "ds.sent": "Skickat", "ds.delivered": "Levererat", "ds.failed": "Misslyckades",
    "ds.cancelled": "Avbrutet", "ds.read": "läst",
    "state.active": "Pågår", "state.cancelled": "Avbrutet",
    "send.title": "Skicka larm", "send.templates": "Larmmallar",
    "send.template_loaded": "Mallen ”{name}” har lästs in. Kontrollera och skicka.", "send.message": "Meddelande",
    "send.title_label": "Rubrik", "send.body_label": "Meddelandetext", "send.severity": "Allvarlighetsgrad",
    "send.recipients": "Mottagare", "send.groups": "Grupper", "send.people": "Sök personer",
    "send.search_placeholder": "Namn, användarnamn eller nummer", "send.no_match": "Ingen hittades.",
    "send.address": "Annat nummer, e-post eller radio", "send.address_placeholder": "+358… / namn@exempel.fi / ISSI",
    "send.address_hint": "Telefonnummer i internationell form (+358…), e-postadresser, en radios ISSI eller G 1234 för en talgrupp.",
    "send.address_bad": "Inte ett telefonnummer (+358…), en e-postadress eller ett ISSI.", "send.add": "Lägg till",
    "send.roles": "Alla med en roll", "send.chosen": "Valda", "send.nobody": "Ingen vald ännu.",
    "send.kind_group": "Grupp", "send.kind_person": "Person", "send.kind_role": "Roll", "send.kind_phone": "Telefon",
    "send.kind_email": "E-post", "send.remove": "Ta bort {name}", "send.members.one": "{n} medlem", "send.members.other": "{n} medlemmar",
    "send.channels": "Kanaler", "send.answers": "Svarsalternativ", "send.answers_hint": "Det första alternativet räknas som att personen kommer.",
    "send.option_n": "Alternativ {n}", "send.remove_option": "Ta bort alternativ {n}", "send.add_option": "Lägg till alternativ",
    "send.allow_eta": "Fråga efter beräknad ankomsttid", "send.allow_text": "Tillåt fritextsvar", "send.escalation": "Eskalering",
    "send.next_channel_after": "Försök nästa kanal efter (sekunder)",
    "send.next_channel_hint": "Var och en nås först på en kanal; utan svar på nästa.",
    "send.min_coming": "Om färre kommer än", "send.coming_within": "inom (sekunder)", "send.max_rounds": "Högst (omgångar)",
    "send.then_groups": "larma då också", "send.tetra": "TETRA", "send.callout": "Skicka som utlarmning (signal, godkänn/avvisa)",
    "send.callout_severity": "Utlarmningens prioritet (1–15)", "send.callout_hint": "Tomt: enligt allvarlighetsgraden.",
    "send.tetra_status": "Skicka en status i stället för text",
    "send.tetra_status_hint": "En statusbeteckning som 3, eller fyra hexadecimala siffror.",
    "send.seal": "Kryptera texten med ett lösenord (valfritt)", "send.seal_hint": "Använd ett lösenord som avtalats i förväg. Texten krypteras i den här webbläsaren och enheten ser den aldrig; sms, e-post och radio får i stället en länk till medlemsappen.",
    "send.location": "Plats (valfritt)", "send.lat": "Latitud", "send.lon": "Longitud", "send.location_label": "Platsens namn", "send.location_bad": "Ange både latitud och longitud i grader.",
    "live.sealed": "Krypterad text: bara medlemmar med lösenordet kan läsa den.",
    "live.location": "Plats: {place}",
    "send.seal_no_template": "En text som ska krypteras sparas inte i en mall, där den skulle vara läsbar. Töm lösenordet eller texten först.",
    "send.summary": "Sammanfattning", "send.people_estimate": "personer (uppskattning)",
    "send.estimate_uncertain": "Alla mottagare kan inte räknas här; de exakta siffrorna kommer efter sändningen.",
    "send.deliveries": "Sändningar per kanal", "send.deliveries_first": "Sändningar först (sedan eskalering)",
    "send.unreachable.one": "{n} person saknar adress för de valda kanalerna",
    "send.unreachable.other": "{n} personer saknar adress för de valda kanalerna",
    "send.sms_time": "Alla sms skickade om", "send.sms_none": "Inga sms i det här larmet.",
    "send.sms_unknown": "Okänt (modemens status visas inte för din roll).", "send.no_modem": "Inget modem redo",
    "send.sms_eta": "cirka {time}", "send.sms_queued.one": "{n} sms väntar redan", "send.sms_queued.other": "{n} sms väntar redan",
    "send.submit": "Skicka larm…", "send.save_template": "Spara som mall", "send.clear": "Töm",
    "send.confirm_title": "Skicka larmet nu?", "send.confirm": "Skicka nu", "send.sent": "Larmet skickades till {n} personer.",
    "send.need_title": "Skriv en rubrik.", "send.need_channel": "Välj minst en kanal.",
    "send.need_recipients": "Välj minst en mottagare.", "send.default_yes": "Kommer", "send.default_no": "Kommer inte",
    "live.counters": "Larmets läge", "live.reached": "Nådda", "live.coming": "Kommer", "live.not-coming": "Kommer inte",
    "live.no-answer": "Inget svar", "live.of": "av {n}", "live.deliveries": "Sändningar", "live.sent_by": "Skickat av {by} {at}",
    "live.accepted": "Mottaget för {n} personer:", "live.duplicate": "larmet hade redan skickats",
    "live.cancel": "Avbryt larmet", "live.all_clear": "Faran över", "live.update": "Skicka uppdatering", "live.keep": "Avbryt inte",
    "live.cancel_title": "Avbryta larmet?",
    "live.cancel_text": "Meddelanden som inte har skickats stoppas. Ingen får veta att larmet är över.",
    "live.cancel_confirm": "Avbryt larmet", "live.all_clear_title": "Skicka faran över?",
    "live.all_clear_text": "Larmet avbryts och alla som nåddes får veta att det är över, på de kanaler som nådde dem.",
    "live.all_clear_confirm": "Skicka faran över", "live.cancelled": "Larmet avbröts.",
    "live.all_clear_sent": "Larmet avbröts; faran över skickas.", "live.open_all_clear": "Öppna faran över",
    "live.update_title": "Skicka en uppdatering", "live.update_hint": "Alla som nåddes får den nya texten som en uppdatering.",
    "live.update_send": "Skicka uppdatering", "live.update_sent": "Uppdateringen skickades.", "live.recipients": "Mottagare",
    "live.filter": "Visa", "live.search": "Sök på namn", "live.f_all": "Alla", "live.f_no_answer": "Inget svar",
    "live.f_coming": "Kommer", "live.f_not_coming": "Kommer inte", "live.f_unreached": "Inte nådda än",
    "live.f_failed": "Misslyckade sändningar", "live.name": "Namn", "live.via": "Vald via", "live.answer": "Svar",
    "live.eta": "Ankomst", "live.eta_value": "{m} min (≈ {at})", "live.no_answer_short": "Inget svar", "live.no_channel": "Ingen kanal",
    "live.no_rows": "Inget att visa.", "live.rows_capped": "Visar {shown} av {all}. Använd filtret.", "live.timeline": "Händelser",
    "live.timeline_empty": "Inget ännu.", "live.conn_connecting": "Ansluter…", "live.conn_live": "● Direkt",
    "live.conn_reconnecting": "Ansluter igen…", "live.conn_lost": "Anslutningen bröts; försöker igen",
    "live.attempts.one": "{n} försök", "live.attempts.other": "{n} försök",
    "via.user": "Person", "via.phone": "Telefonnummer", "via.email": "E-postadress", "via.tetra_issi": "Radio (ISSI)",
    "via.tetra_gssi": "Talgrupp", "via.group": "Grupp {name}", "via.role": "Roll {name}",
    "tlk.created": "Skapat", "tlk.escalation": "Eskalering", "tlk.response": "Svar", "tlk.note": "Meddelande", "tlk.cancelled": "Avbrutet",
    "tlk.updated": "Uppdaterat", "tlk.trigger_merged": "Utlöst igen", "tlk.tetra_group_sent": "Talgrupp",
    "tl.created": "{by} skickade till {n} personer ({deliveries})",
    "tl.created_follow_up": "{by} skickade ett uppföljande meddelande till {n} personer",
    "tl.next_channel": "{name}: försöker {channel}",
    "tl.more_groups": "Omgång {round}: {coming} av {wanted} kommer; {added} personer till larmade",
    "tl.response": "{name}: {choice} ({channel})", "tl.eta": "ankomst om {m} min", "tl.note": "{from} ({channel}): {text}",
    "tl.cancelled": "Avbrutet av {by}", "tl.cancelled_all_clear": "Avbrutet av {by}; faran över skickad",
    "tl.updated": "Uppdaterat av {by}: {title}", "tl.merged": "Utlöst igen av {by} ({template}); sammanslaget med det här larmet",
    "tl.group_sent": "Skickat till talgrupp {gssi} via {radio}",
    "history.title": "Larm", "history.search": "Rubriken innehåller", "history.severity": "Allvarlighetsgrad", "history.state": "Läge",
    "history.from": "Från", "history.to": "Till", "history.time": "Tid", "history.alert": "Larm", "history.by": "Skickat av",
    "history.csv": "CSV", "history.print": "Skriv ut", "history.none": "Inga larm.", "history.count": "{n} av {all} larm",
    "csv.alert": "Larm", "csv.recipient": "Mottagare", "csv.channel": "Kanal", "csv.state": "Läge", "csv.attempts": "Försök",
    "csv.error": "Fel", "csv.read_at": "Läst", "csv.answer_text": "Svarstext", "csv.answered_at": "Besvarat", "csv.event": "Händelse",
    "csv.detail": "Uppgifter",
    "print.back": "Tillbaka till larmet", "print.printed": "Utskrivet {at}",
    "people.title": "Personer", "people.tab_users": "Användare", "people.tab_groups": "Grupper", "people.tab_roles": "Roller",
    "people.tab_import": "Import",
    "users.count.one": "{n} person", "users.count.other": "{n} personer", "users.name": "Namn", "users.username": "Användarnamn",
    "users.username_hint": "2–64 tecken: små bokstäver, siffror, - _ .", "users.phones": "Telefonnummer",
    "users.phones_hint": "Internationell form (+358…); skilj flera åt med semikolon.", "users.email": "E-post",
    "users.issi": "TETRA-ISSI", "users.language": "Språk", "users.lang_none": "Organisationens standard",
    "users.channels": "Föredragna kanaler", "users.channels_hint": "Lämna tomt för att använda larmets kanaler.",
    "users.groups": "Grupper", "users.roles": "Roller", "users.login": "Inloggning", "users.receive_only": "Endast mottagare",
    "users.must_change": "Måste byta lösenord", "users.second_factor": "Tvåstegsverifiering", "users.none": "Ingen ännu.",
    "users.set_password": "Lösenord", "users.reset_2fa": "Återställ tvåstegsverifiering",
    "users.reset_2fa_text": "{name} måste aktivera tvåstegsverifiering på nytt vid nästa inloggning; personens sessioner avslutas nu.",
    "users.reset_2fa_done": "Tvåstegsverifieringen har återställts.", "users.end_sessions": "Logga ut överallt",
    "users.end_sessions_text": "Avsluta alla sessioner för {name}?", "users.sessions_ended.one": "{n} session avslutades.",
    "users.sessions_ended.other": "{n} sessioner avslutades.", "users.delete_title": "Radera personen?",
    "users.delete_text": "{name} får inte längre larm. Detta kan inte ångras.", "users.add": "Lägg till en person",
    "users.create": "Lägg till person", "users.created": "{name} har lagts till.", "users.edit_title": "Redigera {name}",
    "users.password_optional": "Lösenord (bara för dem som loggar in)",
    "users.password_hint": "Lämna tomt för den som bara tar emot larm.",
    "users.must_change_next": "Måste byta lösenord vid nästa inloggning", "users.password_title": "Nytt lösenord för {name}",
    "users.password_set": "Lösenordet har ställts in.",
    "groups.count.one": "{n} grupp", "groups.count.other": "{n} grupper", "groups.name": "Namn", "groups.members": "Medlemmar",
    "groups.members_hint": "Användarnamn, åtskilda med kommatecken.", "groups.pick": "Välj i listan", "groups.none": "Inga grupper ännu.",
    "groups.add": "Ny grupp", "groups.create": "Skapa grupp", "groups.created": "Gruppen {name} har skapats.",
    "groups.edit_title": "Redigera gruppen {name}", "groups.delete_title": "Radera gruppen?",
    "groups.delete_text": "Radera gruppen {name}? Medlemmarna finns kvar.",
    "roles.count.one": "{n} roll", "roles.count.other": "{n} roller", "roles.name": "Namn", "roles.description": "Beskrivning",
    "roles.permissions": "Behörigheter", "roles.alert_groups": "Grupper som får larmas", "roles.limit_groups": "Endast dessa grupper",
    "roles.any_group": "Alla grupper", "roles.no_groups": "Inga", "roles.built_in": "Inbyggd", "roles.add": "Ny roll",
    "roles.create": "Skapa roll", "roles.created": "Rollen {name} har skapats.", "roles.edit_title": "Redigera rollen {name}",
    "roles.admin_all": "Admin-rollen har alltid alla behörigheter.", "roles.delete_title": "Radera rollen?",
    "roles.delete_text": "Radera rollen {name}?",
    "perm.read_directory": "Läsa personer och grupper", "perm.manage_users": "Hantera personer", "perm.manage_groups": "Hantera grupper",
    "perm.manage_roles": "Hantera roller", "perm.send_alerts": "Skicka larm", "perm.read_audit": "Läsa händelseloggen",
    "perm.manage_devices": "Hantera enheter och utrustning", "perm.manage_settings": "Hantera inställningar och mallar",
    "perm.manage_api_keys": "Hantera API-nycklar",
    "import.title": "Importera personer från CSV",
    "import.intro": "Första raden namnger kolumnerna: username,name,phones,email,tetra_issi,groups,roles,language. Skilj flera telefonnummer eller grupper åt med semikolon. Förhandsgranska först: inget sparas förrän du importerar.",
    "import.file": "CSV-fil", "import.text": "CSV-text", "import.preview": "Förhandsgranska", "import.run": "Importera", "import.row": "Rad",
    "import.status": "Status", "import.errors": "Problem", "import.ok": "OK", "import.imported": "Importerad",
    "import.refused": "Avvisad", "import.read_failed": "Filen kunde inte läsas.",
    "import.preview_summary": "Klara för import: {good}. Med problem: {bad} (de raderna importeras inte).",
    "import.done_summary": "Importerade: {n}. Avvisade: {bad}.",
    "templates.title": "Larmmallar", "templates.none": "Inga mallar ännu.", "templates.new": "Ny mall", "templates.name": "Namn",
    "templates.name_hint": "Små bokstäver, siffror, - _ .", "templates.button": "Knapptext", "templates.merge": "Sammanslagningstid",
    "templates.button_roles": "Medlemsappen: roller som får trycka", "templates.button_roles_hint": "Rollnamn åtskilda med kommatecken. De skickar exakt den här mallen, även utan rätt att skicka larm.",
    "templates.merge_seconds": "Sammanslagningstid (sekunder)",
    "templates.merge_hint": "Utlöses mallen igen inom den här tiden slås den ihop med det pågående larmet.",
    "templates.last_fired": "Senast utlöst", "templates.fire": "Utlös", "templates.use": "Öppna på sändsidan",
    "templates.fire_title": "Utlösa ”{name}”?",
    "templates.fire_merge": "Om mallen har utlösts under de senaste {d} och larmet fortfarande pågår slås detta ihop med det.",
    "templates.fire_confirm": "Utlös nu", "templates.merged": "Sammanslaget med det pågående larmet.",
    "templates.delete_title": "Radera mallen?",
    "templates.delete_text": "Radera mallen {name}? Regler som använder den slutar fungera.",
    "templates.edit_title": "Redigera mallen {name}", "templates.create": "Skapa mall", "templates.saved": "Mallen har sparats.",
    "templates.save_as": "Spara som mall", "templates.addresses.one": "{n} adress", "templates.addresses.other": "{n} adresser",
    "rules.title": "Larmregler", "rules.tetra": "Regler för inkommande TETRA-larm",
    "rules.intro": "Ett meddelande från nödcentralen som matchar en regel utlöser regelns mall. Reglerna prövas uppifrån; den första träffen gäller.",
    "rules.none": "Inga regler ännu.", "rules.rule_n": "Regel {n}", "rules.name": "Namn", "rules.from": "Från ISSI",
    "rules.from_hint": "Tomt: vilken avsändare som helst. Skilj åt med kommatecken.", "rules.template": "Mall", "rules.match": "Villkor",
    "rules.mode_pattern": "Textmönster", "rules.mode_status": "Status", "rules.status": "Status",
    "rules.pattern": "Mönster (reguljärt uttryck)",
    "rules.pattern_hint": "Namngivna grupper som (?P<address>.+) läggs till i larmet.",
    "rules.up": "Flytta upp", "rules.down": "Flytta ned", "rules.add": "Lägg till regel", "rules.save": "Spara reglerna",
    "rules.test_title": "Testa ett meddelande",
    "rules.test_intro": "Vilken sparad regel skulle det här meddelandet utlösa? Inget skickas.",
    "rules.test_from": "Avsändarens ISSI", "rules.test_from_bad": "Ange avsändarens ISSI (siffror).", "rules.test_text": "Text",
    "rules.test": "Testa", "rules.test_match": "Matchar regeln {rule} → mallen {template}", "rules.test_none": "Ingen regel matchar.",
    "rules.triggers": "Sms-utlösare", "rules.triggers_intro": "Nummer som får starta larm per sms: ”PIN mall [ord]”.",
    "rules.no_triggers": "Inga sms-utlösare.", "rules.trigger_n": "Nummer {n}", "rules.number": "Telefonnummer", "rules.pin": "PIN",
    "rules.pin_hint": "6–12 siffror; sparas bara som hash.", "rules.pin_unchanged": "oförändrad",
    "rules.trigger_templates": "Får utlösa (inget valt: vilken mall som helst)", "rules.add_trigger": "Lägg till nummer",
    "rules.save_triggers": "Spara sms-utlösare",
    "backup.title": "Säkerhetskopior", "backup.target": "Mål", "backup.state": "Läge", "backup.last_success": "Nyaste kopian där",
    "backup.problem": "Problem", "backup.ok": "Aktuell", "backup.failing": "Misslyckas", "backup.waiting": "Inte framme ännu",
    "backup.since": "sedan {at}:", "backup.newest": "Nyaste säkerhetskopian {name}, tagen {at}.", "backup.none": "Ingen säkerhetskopia tagen ännu.",
    "hardware.title": "Utrustning", "hardware.health": "Hälsa", "hardware.store": "Lagring", "hardware.sms_queue": "Sms som väntar",
    "hardware.capacity": "Sms-kapacitet", "hardware.per_minute": "{n} / min", "hardware.no_modems": "Inga modem",
    "hardware.outbox": "Väntar på att skickas", "hardware.storage": "Lagring",
    "hardware.to_empty": "Kön tömd om", "hardware.none": "Inga modem eller radioapparater konfigurerade.",
    "hardware.auto": "Uppdatera var 30:e sekund", "hardware.model": "Modell", "hardware.port": "Port", "hardware.registration": "Nät",
    "hardware.signal": "Signal", "hardware.queue": "Kö", "hardware.sent": "Skickade", "hardware.received": "Mottagna",
    "hardware.avg_send": "Genomsnittlig sändtid", "hardware.since": "I läget sedan", "hardware.last_error": "Senaste fel ({at}):",
    "hardware.kind_modem": "Modem", "hardware.kind_radio": "Radio", "hardware.test_title": "Skicka ett testmeddelande",
    "hardware.test_phone": "Till nummer", "hardware.test_issi": "Till ISSI", "hardware.test_text": "Text",
    "hardware.test_default": "Testmeddelande från Tocsin", "hardware.test_send": "Skicka test", "hardware.test_sending": "Skickar…",
    "hardware.test_ok": "Skickat.", "hardware.test_failed": "Inte skickat: {why}",
    "dev.disconnected": "Frånkopplad", "dev.initialising": "Startar", "dev.ready": "Redo", "dev.resetting": "Återställs",
    "health.ready": "Redo", "health.degraded": "Nedsatt", "health.not_ready": "Inte redo", "health.unknown": "Okänt",
    "inbound.title": "Mottagna meddelanden", "inbound.time": "Mottaget", "inbound.channel": "Kanal", "inbound.from": "Från",
    "inbound.to": "Till", "inbound.text": "Text", "inbound.handling": "Hanterat som", "inbound.response": "Svar: {choice}",
    "inbound.note": "Meddelande till ett larm", "inbound.trigger": "Startade ett larm", "inbound.ignored": "Ignorerat: {why}",
    "inbound.pending": "Väntar", "inbound.open": "Öppna larmet", "inbound.incomplete": "Delar av detta långa sms kom aldrig",
    "inbound.none": "Inga meddelanden.",
    "access.title": "Nycklar och enheter", "access.keys": "API-nycklar", "access.new_key": "Ny API-nyckel", "access.key_name": "Namn",
    "access.key_role": "Roll", "access.created": "Skapad", "access.expires": "Går ut", "access.never": "Aldrig",
    "access.last_used": "Senast använd", "access.status": "Status", "access.key_active": "Aktiv", "access.key_revoked": "Återkallad",
    "access.key_expired": "Utgången", "access.revoke": "Återkalla", "access.revoke_title": "Återkalla nyckeln?",
    "access.revoke_text": "Integrationer som använder {name} slutar fungera genast.", "access.revoked": "Nyckeln har återkallats.",
    "access.expires_days": "Går ut om (dagar)", "access.expires_hint": "Tomt: aldrig.", "access.create_key": "Skapa nyckel",
    "access.secret_once": "Kopiera nyckeln nu: den visas bara en gång.", "access.copy": "Kopiera", "access.copied": "Kopierat.",
    "access.copy_manual": "Nyckeln är markerad: tryck Ctrl+C för att kopiera.", "access.done": "Klar",
    "access.no_keys": "Inga API-nycklar.", "access.devices": "Medlemmarnas enheter", "access.person": "Person",
    "access.device": "Enhet", "access.platform": "Plattform", "access.first_seen": "Först sedd", "access.last_seen": "Senast sedd",
    "access.no_devices": "Inga enheter.", "access.block": "Spärra", "access.wipe": "Rensa", "access.block_title": "Spärra enheten?",
    "access.block_text": "{name} som tillhör {who} loggas ut och kan inte logga in igen.", "access.wipe_title": "Rensa enheten?",
    "access.wipe_text": "{name} som tillhör {who} raderar Tocsins data nästa gång den ansluter och spärras sedan.",
    "access.blocked": "Enheten har spärrats.", "access.wipe_ordered": "Rensning beordrad.", "access.dev_active": "Aktiv",
    "access.dev_blocked": "Spärrad", "access.dev_wipe_pending": "Rensning väntar", "access.dev_wiped": "Rensad",
    "audit.findings": "Säkerhetsfynd", "audit.finding": "Fynd", "audit.no_findings": "Inga säkerhetsfynd.",
    "audit.title": "Händelselogg", "audit.action": "Åtgärden börjar med", "audit.actor": "Utförare", "audit.outcome": "Utfall",
    "audit.since": "Sedan", "audit.limit": "Högst", "audit.time": "Tid", "audit.target": "Mål", "audit.detail": "Uppgifter",
    "audit.source": "Adress", "audit.none": "Inga händelser.", "audit.count.one": "{n} händelse", "audit.count.other": "{n} händelser",
    "outcome.success": "Lyckades", "outcome.failure": "Misslyckades", "outcome.denied": "Nekad",
    "actor.user": "Användare", "actor.api_key": "API-nyckel", "actor.shell": "Kommandorad", "actor.anonymous": "Anonym",
    "actor.external": "Extern",
    "settings.title": "Inställningar", "settings.org": "Organisation", "settings.org_name": "Namn", "settings.sessions": "Sessioner",
    "settings.idle": "Utloggning efter inaktivitet (minuter)", "settings.idle_hint": "Gäller den här konsolen. Medlemsappen förblir inloggad så länge den är öppen, så att larmen kommer fram.",
    "settings.language": "Meddelandenas språk", "settings.language_hint": "För sms, e-post, radiotexter och svarssidor till dem som inte valt eget språk.",
    "settings.lifetime": "En session varar högst (timmar)", "settings.passwords": "Lösenord", "settings.pw_length": "Minsta längd",
    "settings.pw_strength": "Minsta styrka", "settings.pw_age": "Byts var (dagar)", "settings.pw_age_hint": "Tomt: aldrig.",
    "settings.strength_0": "0 – inget krav", "settings.strength_1": "1 – mycket svagt", "settings.strength_2": "2 – svagt",
    "settings.strength_3": "3 – starkt", "settings.strength_4": "4 – mycket starkt",
    "settings.require_2fa": "Tvåstegsverifiering krävs för roller", "settings.integrations": "Integrationer",
    "settings.rate": "Högst automatiska larm per minut",
    "settings.rate_hint": "En integration som skenar kan inte orsaka en larmstorm.",
    "settings.replies": "Svar per sms och radio",
    "settings.replies_hint": "Koder som används för att svara och vilket svarsalternativ var och en ger (1 = det första, Kommer).",
    "settings.reply_codes": "Svarskoder", "settings.status_replies": "TETRA-statussvar", "settings.option": "Svarsalternativ",
    "users.contact": "Kontaktuppgifter", "audit.action_col": "Åtgärd",
    "users.has_2fa": "Tvåstegsverifiering på",
    "settings.option_n": "Alternativ {n}", "settings.add_row": "Lägg till",
    "settings.security": "Säkerhetsövervakning", "settings.security_hint": "Vem som får veta när händelseloggen visar en attack eller något ovanligt. Om ingen anges får administratörerna veta.",
    "settings.sec_contacts": "Kontakter (användarnamn, kommaseparerade)", "settings.sec_groups": "Kontaktgrupper", "settings.sec_channels": "Meddela via",
    "settings.sec_per_account": "Misslyckade inloggningar per konto", "settings.sec_per_address": "Misslyckade inloggningar per adress", "settings.sec_window": "Inom (minuter)",
    "settings.sec_rules": "Aktiva regler", "settings.rule.failed_logins_account": "Misslyckade inloggningar för ett konto", "settings.rule.failed_logins_address": "Misslyckade inloggningar från en adress", "settings.rule.lockout": "Låsningar", "settings.rule.privilege": "Roller och behörigheter ändrade", "settings.rule.api_key": "API-nyckel skapad", "settings.rule.new_network": "Inloggning från ett nytt nätverk", "settings.rule.personal_data_export": "Personuppgifter exporterade", "settings.rule.device_wipe": "Radering av enhet beordrad", "settings.rule.backup": "Säkerhetskopiering misslyckades", "settings.rule.audit_chain": "Händelsekedjan stämmer inte", "settings.rule.shipping_lag": "Loggservern ligger efter",
  };

  const DICTIONARIES = { en: EN, fi: FI, sv: SV };

  // ---------------------------------------------------------------------------
  // Language
  // ---------------------------------------------------------------------------

  const LANGS = ["fi", "sv", "en"];
  const LANG_NAMES = { fi: "Suomi", sv: "Svenska", en: "English" };
  const LOCALES = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };

  function storageGet(store, key) {
    try {
      return store.getItem(key);
    } catch (_) {
      return null;
    }
  }

  function storageSet(store, key, value) {
    try {
      if (value === null || value === undefined) store.removeItem(key);
      else store.setItem(key, value);
    } catch (_) {
      // Private mode or storage switched off: the console still works.
    }
  }

  function pickLanguage() {
    const saved = storageGet(window.localStorage, "tocsin.lang");
    if (LANGS.includes(saved)) return saved;
    const wanted = navigator.languages && navigator.languages.length
      ? navigator.languages
      : [navigator.language || "en"];
    for (const tag of wanted) {
      const base = String(tag).slice(0, 2).toLowerCase();
      if (LANGS.includes(base)) return base;
    }
    return "en";
  }

  /** The text for `key` in the chosen language, with {name} filled in. */
  function t(key, vars) {
    let text = DICTIONARIES[S.lang][key];
    if (text === undefined) text = DICTIONARIES.en[key];
    if (text === undefined) return key;
    if (vars) {
      text = text.replace(/\{(\w+)\}/g, (whole, name) =>
        Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole);
    }
    return text;
  }

  /** Singular or plural form: `key.one` or `key.other`, with {n}. */
  function tn(key, n, vars) {
    return t(`${key}.${n === 1 ? "one" : "other"}`, Object.assign({ n: fmtNum(n) }, vars));
  }

  function fmtNum(n) {
    if (n === null || n === undefined || Number.isNaN(n)) return "–";
    return new Intl.NumberFormat(LOCALES[S.lang]).format(n);
  }

  function fmtTime(iso, withDate = true) {
    if (!iso) return "–";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    const options = withDate
      ? { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }
      : { hour: "2-digit", minute: "2-digit", second: "2-digit" };
    return new Intl.DateTimeFormat(LOCALES[S.lang], options).format(date);
  }

  function fmtDuration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return t("dur.s", { s });
    if (s < 3600) {
      const m = Math.floor(s / 60);
      const rest = s % 60;
      return rest ? t("dur.m_s", { m, s: rest }) : t("dur.m", { m });
    }
    const h = Math.floor(s / 3600);
    const m = Math.round((s % 3600) / 60);
    return t("dur.h_m", { h, m });
  }

  // ---------------------------------------------------------------------------
  // State. Only the CSRF token (sessionStorage) and the language
  // (localStorage) are ever stored in the browser.
  // ---------------------------------------------------------------------------

  const S = {
    lang: "en",
    csrf: null,
    me: null,
    perms: new Set(),
    idleSeconds: 0,
    lastActivity: Date.now(),
    lastTouch: 0,
    idleTimer: null,
    cleanups: [],
    loginNote: null,
    afterLogin: null,
    lastSend: null,
    sendDraft: null,
    renderCount: 0,
  };

  const CSRF_KEY = "tocsin.csrf";
  const PERMISSIONS = [
    "read_directory", "manage_users", "manage_groups", "manage_roles", "send_alerts",
    "read_audit", "manage_devices", "manage_settings", "manage_api_keys",
  ];
  const CHANNELS = ["app", "sms", "voice", "email", "tetra"];
  const SEVERITIES = ["critical", "warning", "info"];
  const DELIVERY_STATES = ["queued", "sending", "sent", "delivered", "failed", "cancelled"];

  function can(permission) {
    return S.perms.has(permission);
  }

  // ---------------------------------------------------------------------------
  // DOM building: never innerHTML with data.
  // ---------------------------------------------------------------------------

  const PROPS = new Set(["value", "checked", "disabled", "selected", "multiple", "required", "readOnly", "indeterminate", "open"]);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key === "test") node.setAttribute("data-test", value);
        else if (key === "for") node.htmlFor = value;
        else if (key.startsWith("on") && typeof value === "function") {
          node.addEventListener(key.slice(2), value);
        } else if (PROPS.has(key)) node[key] = value;
        else node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    append(node, children);
    return node;
  }

  function append(node, ...children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function replace(node, ...children) {
    node.replaceChildren();
    return append(node, children);
  }

  let idCounter = 0;
  function uid(prefix) {
    idCounter += 1;
    return `${prefix || "id"}-${idCounter}`;
  }

  /** A labelled form control with room for a hint and an error. */
  function field(label, control, opts = {}) {
    if (!control.id) control.id = uid("f");
    const errorId = uid("err");
    const hintId = opts.hint ? uid("hint") : null;
    control.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
    return el("div", { class: `field ${opts.class || ""}`, "data-field": opts.name || null },
      el("label", { for: control.id, text: label }),
      control,
      hintId ? el("p", { class: "hint", id: hintId, text: opts.hint }) : null,
      el("p", { class: "field-error", id: errorId, role: "alert" }));
  }

  /** A checkbox with its label after it. */
  function checkbox(label, opts = {}) {
    const input = el("input", { type: "checkbox", checked: !!opts.checked, disabled: opts.disabled, test: opts.test, value: opts.value, name: opts.name || null, onchange: opts.onchange });
    const wrap = el("label", { class: "check" }, input, el("span", { text: label }));
    wrap.input = input;
    return wrap;
  }

  function button(label, opts = {}) {
    return el("button", {
      type: opts.type || "button",
      class: `btn ${opts.class || ""}`,
      test: opts.test,
      disabled: opts.disabled,
      title: opts.title,
      "aria-label": opts.ariaLabel,
      "aria-pressed": opts.pressed === undefined ? null : String(!!opts.pressed),
      onclick: opts.onclick,
    }, label);
  }

  function select(options, value, attrs = {}) {
    return el("select", attrs, options.map(([v, label]) =>
      el("option", { value: v, selected: String(v) === String(value) }, label)));
  }

  function heading(text, level = 1) {
    return el(`h${level}`, { tabindex: level === 1 ? "-1" : null, text });
  }

  function card(title, ...children) {
    return el("section", { class: "card" }, title ? el("h2", { text: title }) : null, children);
  }

  function table(headers, rows, attrs = {}) {
    return el("div", { class: "table-wrap" },
      el("table", Object.assign({ class: "table" }, attrs),
        attrs.caption ? el("caption", { class: "sr-only", text: attrs.caption }) : null,
        el("thead", null, el("tr", null, headers.map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", null, rows)));
  }

  function emptyRow(colspan, text) {
    return el("tr", null, el("td", { colspan, class: "muted", text }));
  }

  function badge(text, cls, attrs = {}) {
    return el("span", Object.assign({ class: `badge ${cls || ""}` }, attrs), text);
  }

  function severityBadge(severity) {
    return badge(t(`sev.${severity}`), `sev-${severity}`, { "data-severity": severity });
  }

  function splitList(text) {
    return String(text || "").split(/[;,\s]+/).map((s) => s.trim()).filter(Boolean);
  }

  function setBusy(buttonNode, busy) {
    if (!buttonNode) return;
    buttonNode.disabled = busy;
    buttonNode.setAttribute("aria-busy", busy ? "true" : "false");
  }

  // ---------------------------------------------------------------------------
  // Toasts and dialogs
  // ---------------------------------------------------------------------------

  function toast(message, kind = "info", opts = {}) {
    const region = document.getElementById("toasts");
    if (!region) return;
    const close = el("button", { type: "button", class: "toast-close", "aria-label": t("common.close"), text: "×" });
    const node = el("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status", test: `toast-${kind}` },
      el("div", { class: "toast-text" }, message, opts.link ? [" ", opts.link] : null),
      close);
    const remove = () => node.remove();
    close.addEventListener("click", remove);
    // Under stress a pile of notes hides the page: keep the two newest.
    const shown = region.querySelectorAll(".toast:not(.toast-error)");
    if (kind !== "error" && shown.length >= 2) shown[0].remove();
    region.append(node);
    setTimeout(remove, opts.timeout || (kind === "error" ? 15000 : 4000));
  }

  /** A localised sentence for an API problem; the server's detail where it is specific. */
  function errorText(err) {
    const p = err && err.problem;
    if (!p) return (err && err.message) || t("err.generic");
    const specific = ["invalid_field", "not_allowed", "refused", "conflict"];
    if (specific.includes(p.code) && p.detail) {
      return p.field && p.code !== "refused" ? `${p.field}: ${p.detail}` : p.detail;
    }
    if (p.code === "throttled") return t("err.throttled", { s: p.retryAfter || "?" });
    if (p.code && DICTIONARIES.en[`err.${p.code}`]) return t(`err.${p.code}`);
    return p.detail || t("err.generic");
  }

  /** Shows an error that nothing else showed. */
  function report(err) {
    if (err && err.handled) return;
    toast(errorText(err), "error");
  }

  function openDialog({ title, body, actions, test, wide }) {
    const titleId = uid("dlg");
    const previous = document.activeElement;
    const dialog = el("dialog", { class: `dialog ${wide ? "dialog-wide" : ""}`, "aria-labelledby": titleId, test },
      el("h2", { id: titleId, text: title }),
      el("div", { class: "dialog-body" }, body),
      actions ? el("div", { class: "dialog-actions" }, actions) : null);
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (previous && previous.isConnected && typeof previous.focus === "function") previous.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
    return dialog;
  }

  /** Asks before something that can't be undone; resolves true on confirm. */
  function confirmDialog({ title, message, details, confirmLabel, cancelLabel, danger, confirmTest }) {
    return new Promise((resolve) => {
      let answered = false;
      const finish = (value) => {
        if (answered) return;
        answered = true;
        resolve(value);
        if (dialog.open) dialog.close();
      };
      const ok = button(confirmLabel || t("common.confirm"), {
        class: danger ? "btn-danger" : "btn-primary", test: confirmTest, onclick: () => finish(true),
      });
      const cancel = button(cancelLabel || t("common.cancel"), { test: "dialog-cancel", onclick: () => finish(false) });
      const dialog = openDialog({
        title,
        body: [message ? el("p", { text: message }) : null, details || null],
        actions: [cancel, ok],
        test: "confirm-dialog",
      });
      dialog.addEventListener("close", () => finish(false));
      ok.focus();
    });
  }

  /** A dialog holding a form; `onSubmit` throws to keep it open with the error shown. */
  function formDialog({ title, fields, submitLabel, onSubmit, test, wide }) {
    const submit = button(submitLabel || t("common.save"), { type: "submit", class: "btn-primary", test: test ? `${test}-submit` : null });
    const cancel = button(t("common.cancel"), { onclick: () => dialog.close() });
    const form = el("form", { class: "form", novalidate: true }, fields,
      el("div", { class: "dialog-actions" }, cancel, submit));
    const dialog = openDialog({ title, body: form, test, wide });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      setBusy(submit, true);
      try {
        await onSubmit(form);
        dialog.close();
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    const first = form.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
    if (first) first.focus();
    return dialog;
  }

  // ---------------------------------------------------------------------------
  // Field errors from problems
  // ---------------------------------------------------------------------------

  function clearErrors(container) {
    for (const node of container.querySelectorAll(".field-error")) node.textContent = "";
    for (const node of container.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  /** "recipients.groups[0]" → the names to look for, most precise first. */
  function fieldCandidates(name) {
    const out = [];
    let current = String(name || "");
    while (current) {
      out.push(current);
      const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
      if (cut <= 0) break;
      current = current.slice(0, cut);
    }
    return out;
  }

  /** Puts a problem's detail next to the field it names; false when none fits. */
  function showFieldError(container, err) {
    const p = err && err.problem;
    if (!p || !p.field) return false;
    for (const name of fieldCandidates(p.field)) {
      const holder = container.querySelector(`[data-field="${cssEscape(name)}"]`);
      if (!holder) continue;
      const message = holder.querySelector(".field-error");
      if (message) message.textContent = p.detail || errorText(err);
      const control = holder.querySelector("input, select, textarea, button");
      if (control) {
        control.setAttribute("aria-invalid", "true");
        control.focus();
      }
      return true;
    }
    return false;
  }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, "\\$&");
  }

  // ---------------------------------------------------------------------------
  // The API
  // ---------------------------------------------------------------------------

  /**
   * Calls the JSON API. Non-GET requests carry the CSRF token. A problem
   * answer becomes a thrown Error with `.problem` (RFC 9457) and `.status`.
   */
  async function api(method, path, body, opts = {}) {
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
    if (method !== "GET" && S.csrf) headers["X-CSRF-Token"] = S.csrf;
    Object.assign(headers, opts.headers || {});
    let response;
    try {
      response = await fetch(path, { method, headers, body: payload, credentials: "same-origin", cache: "no-store" });
    } catch (cause) {
      const err = new Error(t("err.network"));
      err.problem = { code: "network", detail: t("err.network") };
      err.status = 0;
      throw err;
    }
    if (!opts.anonymous) S.lastTouch = Date.now();
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_) {
        data = text;
      }
    }
    if (response.ok) return data;
    const problem = data && typeof data === "object" ? Object.assign({}, data) : { detail: typeof data === "string" ? data.slice(0, 300) : response.statusText };
    if (!problem.detail && problem.error) problem.detail = problem.error;
    problem.detail = withoutField(problem.field, problem.detail);
    problem.status = response.status;
    problem.retryAfter = response.headers.get("Retry-After");
    const err = new Error(problem.detail || response.statusText);
    err.problem = problem;
    err.status = response.status;
    if (!opts.anonymous) handleAuthProblem(err);
    throw err;
  }

  /** The server's detail for a field starts with the field's name; it is shown next to the field. */
  function withoutField(name, detail) {
    if (name && typeof detail === "string" && detail.startsWith(`${name}: `)) return detail.slice(name.length + 2);
    return detail;
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

  /** Resolves to {ok, value} or {ok: false, error}: for loads that may be refused. */
  function settle(promise) {
    return promise.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));
  }

  function enc(part) {
    return encodeURIComponent(part);
  }

  // ---------------------------------------------------------------------------
  // Session
  // ---------------------------------------------------------------------------

  function setSession(me, csrf, idleSeconds) {
    S.me = me;
    S.perms = new Set(me.permissions || []);
    if (csrf) {
      S.csrf = csrf;
      storageSet(window.sessionStorage, CSRF_KEY, csrf);
    }
    if (idleSeconds) S.idleSeconds = idleSeconds;
    S.lastActivity = Date.now();
    startIdleWatch();
  }

  function clearSession() {
    S.me = null;
    S.perms = new Set();
    S.csrf = null;
    S.sendDraft = null;
    S.lastSend = null;
    storageSet(window.sessionStorage, CSRF_KEY, null);
    stopIdleWatch();
    runCleanups();
    for (const dialog of document.querySelectorAll("dialog")) dialog.close();
  }

  function sessionLost(reason) {
    if (!S.me) return;
    clearSession();
    S.loginNote = t(`login.note_${reason}`);
    S.afterLogin = null;
    navigate("#/login");
  }

  async function logOut(reason) {
    try {
      await api("DELETE", "/api/v1/session", null, { anonymous: true });
    } catch (_) {
      // Gone already: the login page is what matters.
    }
    clearSession();
    S.loginNote = reason ? t(`login.note_${reason}`) : t("login.note_logged_out");
    navigate("#/login");
  }

  /** Idle auto-logout: no keyboard, mouse or touch input for the organisation's idle time. */
  function startIdleWatch() {
    stopIdleWatch();
    S.idleTimer = setInterval(checkIdle, 1000);
  }

  function stopIdleWatch() {
    if (S.idleTimer) clearInterval(S.idleTimer);
    S.idleTimer = null;
    const warning = document.getElementById("idle-warning");
    if (warning) warning.remove();
  }

  function noteActivity() {
    S.lastActivity = Date.now();
    const warning = document.getElementById("idle-warning");
    if (warning) warning.remove();
    // Keep the server's session as alive as the person at the keyboard.
    const every = Math.min(60, (S.idleSeconds || 1800) / 3) * 1000;
    if (S.me && Date.now() - S.lastTouch > every) {
      S.lastTouch = Date.now();
      api("GET", "/api/v1/me").catch(() => {});
    }
  }

  function checkIdle() {
    if (!S.me) return;
    const idle = S.idleSeconds || 30 * 60;
    const left = idle - (Date.now() - S.lastActivity) / 1000;
    if (left <= 0) {
      logOut("idle");
      return;
    }
    if (left <= 60) {
      let warning = document.getElementById("idle-warning");
      if (!warning) {
        warning = el("div", { id: "idle-warning", class: "idle-warning", role: "alert", test: "idle-warning" });
        document.body.append(warning);
      }
      warning.textContent = t("idle.warning", { s: Math.ceil(left) });
    }
  }

  // ---------------------------------------------------------------------------
  // Router
  // ---------------------------------------------------------------------------

  const NAV = [
    { name: "send", hash: "#/send", label: "nav.send", allowed: () => can("send_alerts") },
    { name: "alerts", hash: "#/alerts", label: "nav.alerts", allowed: () => can("send_alerts") },
    { name: "people", hash: "#/people", label: "nav.people", allowed: () => can("manage_users") || can("manage_groups") || can("manage_roles") },
    { name: "templates", hash: "#/templates", label: "nav.templates", allowed: () => can("send_alerts") || can("manage_settings") },
    { name: "rules", hash: "#/rules", label: "nav.rules", allowed: () => can("manage_settings") },
    { name: "appliance", hash: "#/appliance", label: "nav.appliance", allowed: () => can("operate_appliance") },
    { name: "hardware", hash: "#/hardware", label: "nav.hardware", allowed: () => can("manage_devices") || can("operate_appliance") },
    { name: "access", hash: "#/access", label: "nav.access", allowed: () => can("manage_api_keys") || can("manage_devices") },
    { name: "audit", hash: "#/audit", label: "nav.audit", allowed: () => can("read_audit") },
    { name: "settings", hash: "#/settings", label: "nav.settings", allowed: () => can("manage_settings") },
  ];

  const ROUTES = [
    { name: "login", re: /^\/login$/, public: true, render: renderLogin },
    { name: "password", re: /^\/password$/, stage: true, render: renderPasswordStage },
    { name: "enroll", re: /^\/enroll$/, stage: true, render: renderEnroll },
    { name: "account", re: /^\/account$/, stage: true, render: renderAccount },
    { name: "send", re: /^\/send$/, nav: "send", render: renderSend },
    { name: "print", re: /^\/alerts\/([0-9A-Za-z]+)\/print$/, nav: "alerts", render: renderPrint },
    { name: "live", re: /^\/alerts\/([0-9A-Za-z]+)$/, nav: "alerts", render: renderLive },
    { name: "alerts", re: /^\/alerts$/, nav: "alerts", render: renderHistory },
    { name: "people", re: /^\/people(?:\/(users|groups|roles|import))?$/, nav: "people", render: renderPeople },
    { name: "templates", re: /^\/templates$/, nav: "templates", render: renderTemplates },
    { name: "rules", re: /^\/rules$/, nav: "rules", render: renderRules },
    { name: "appliance", re: /^\/appliance$/, nav: "appliance", render: renderAppliance },
    { name: "hardware", re: /^\/hardware$/, nav: "hardware", render: renderHardware },
    { name: "access", re: /^\/access$/, nav: "access", render: renderAccess },
    { name: "audit", re: /^\/audit$/, nav: "audit", render: renderAudit },
    { name: "settings", re: /^\/settings$/, nav: "settings", render: renderSettings },
    { name: "home", re: /^\/home$/, render: renderHome },
  ];

  function navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  function parseHash() {
    const raw = location.hash.replace(/^#/, "") || "/";
    const [path, search] = raw.split("?");
    return { path, query: new URLSearchParams(search || "") };
  }

  function defaultHash() {
    if (!S.me) return "#/login";
    const stage = S.me.session && S.me.session.stage;
    if (stage === "must_change_password") return "#/password";
    if (stage === "must_enroll_second_factor") return "#/enroll";
    const first = NAV.find((item) => item.allowed());
    return first ? first.hash : "#/home";
  }

  function onCleanup(fn) {
    S.cleanups.push(fn);
  }

  function runCleanups() {
    const list = S.cleanups;
    S.cleanups = [];
    for (const fn of list) {
      try {
        fn();
      } catch (_) {
        // A cleanup that fails must not stop the next page.
      }
    }
  }

  async function route() {
    runCleanups();
    const { path, query } = parseHash();
    let match = null;
    let found = ROUTES.find((r) => (match = path.match(r.re)));
    if (!S.me) {
      if (!found || !found.public) {
        if (found && path !== "/") S.afterLogin = location.hash;
        if (location.hash !== "#/login") {
          location.replace("#/login");
          return;
        }
        found = ROUTES[0];
        match = ["/login"];
      }
    } else {
      const stage = S.me.session && S.me.session.stage;
      if (!found || found.public) {
        location.replace(defaultHash());
        return;
      }
      if (stage && stage !== "full" && !found.stage) {
        location.replace(defaultHash());
        return;
      }
    }
    S.renderCount += 1;
    const page = el("div", { class: "page", "data-page": found.name });
    renderShell(found, page);
    const navItem = found.nav && NAV.find((n) => n.name === found.nav);
    if (navItem && !navItem.allowed()) {
      replace(page, heading(t("common.not_allowed_title")), el("p", { text: t("common.not_allowed") }));
      return;
    }
    try {
      await found.render(page, match, query);
    } catch (err) {
      if (page.isConnected) page.append(el("p", { class: "error-box", role: "alert", text: errorText(err) }));
      report(err);
    }
    if (S.renderCount > 1 && page.isConnected && !document.querySelector("dialog[open]")) {
      const h1 = page.querySelector("h1");
      if (h1 && !page.contains(document.activeElement)) h1.focus({ preventScroll: true });
    }
  }

  // ---------------------------------------------------------------------------
  // Shell: header, navigation, main
  // ---------------------------------------------------------------------------

  function languageSelect() {
    const sel = select(LANGS.map((l) => [l, LANG_NAMES[l]]), S.lang, { test: "lang", id: "lang-select", "aria-label": t("common.language") });
    sel.addEventListener("change", () => {
      S.lang = sel.value;
      storageSet(window.localStorage, "tocsin.lang", S.lang);
      document.documentElement.lang = S.lang;
      route();
      const again = document.getElementById("lang-select");
      if (again) again.focus();
    });
    return sel;
  }

  function renderShell(current, page) {
    const app = document.getElementById("app");
    document.documentElement.lang = S.lang;
    document.title = `${t("app.title")} – ${t(`page.${current.name}`)}`;
    const full = S.me && S.me.session && S.me.session.stage === "full";
    const header = el("header", { class: "topbar" },
      el("div", { class: "brand" }, el("span", { class: "brand-mark", "aria-hidden": "true", text: "▲" }), t("app.title")),
      S.me ? el("span", { class: "org", text: S.me.org && S.me.org.name }) : null,
      el("span", { class: "spacer" }),
      S.me ? el("a", { href: "#/account", class: "user-link", test: "account", text: (S.me.user && (S.me.user.name || S.me.user.username)) || "" }) : null,
      el("label", { class: "lang" }, el("span", { class: "sr-only", text: t("common.language") }), languageSelect()),
      S.me ? button(t("nav.logout"), { test: "logout", class: "btn-quiet", onclick: () => logOut() }) : null);
    const main = el("main", { id: "main", tabindex: "-1" }, page);
    let nav = null;
    if (S.me && full && NAV.some((item) => item.allowed())) {
      nav = el("nav", { class: "sidenav", "aria-label": t("nav.label") },
        el("ul", null, NAV.filter((item) => item.allowed()).map((item) =>
          el("li", null, el("a", {
            href: item.hash,
            test: `nav-${item.name}`,
            class: current.nav === item.name ? "active" : null,
            "aria-current": current.nav === item.name ? "page" : null,
          }, t(item.label))))));
    }
    const skip = el("button", { type: "button", class: "skip", text: t("common.skip"), onclick: () => main.focus() });
    replace(app, skip, header, el("div", { class: `shell ${nav ? "" : "shell-bare"}` }, nav, main));
  }

  // ---------------------------------------------------------------------------
  // Login and the stages before a full session
  // ---------------------------------------------------------------------------

  /** "Console · Firefox on Windows": how this browser shows in the device list. */
  function browserName() {
    const ua = navigator.userAgent || "";
    const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
    const os = /Windows/.test(ua) ? "Windows" : /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "";
    return `Console · ${browser}${os ? ` / ${os}` : ""}`;
  }

  function renderLogin(page) {
    const org = el("input", { type: "text", name: "org", autocomplete: "organization", test: "login-org", required: true, autocapitalize: "none", spellcheck: "false" });
    const username = el("input", { type: "text", name: "username", autocomplete: "username", test: "login-username", required: true, autocapitalize: "none", spellcheck: "false" });
    const password = el("input", { type: "password", name: "password", autocomplete: "current-password", test: "login-password", required: true });
    const code = el("input", { type: "text", name: "code", autocomplete: "one-time-code", inputmode: "numeric", test: "login-code" });
    const codeHint = el("p", { class: "hint", id: uid("hint") });
    const codeField = field(t("login.code"), code, { name: "code" });
    codeField.insertBefore(codeHint, codeField.querySelector(".field-error"));
    code.setAttribute("aria-describedby", `${codeHint.id} ${code.getAttribute("aria-describedby")}`);
    codeField.hidden = true;
    const message = el("div", { class: "login-message", role: "alert", test: "login-error" });
    const submit = button(t("login.submit"), { type: "submit", class: "btn-primary btn-block", test: "login-submit" });
    const note = S.loginNote ? el("p", { class: "notice", role: "status", test: "login-note", text: S.loginNote }) : null;
    S.loginNote = null;

    const form = el("form", { class: "form login-form", novalidate: true },
      field(t("login.org"), org, { name: "org" }),
      field(t("login.username"), username, { name: "username" }),
      field(t("login.password"), password, { name: "password" }),
      codeField, message, submit);

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      message.textContent = "";
      const missing = [[org, "org"], [username, "username"], [password, "password"]].find(([input]) => !input.value.trim());
      if (missing) {
        showFieldError(form, { problem: { field: missing[1], detail: t("common.required") } });
        return;
      }
      const body = { org: org.value.trim(), username: username.value.trim(), password: password.value, device_name: browserName() };
      if (!codeField.hidden && code.value.trim()) body.code = code.value.trim();
      setBusy(submit, true);
      try {
        const done = await api("POST", "/api/v1/session", body, { anonymous: true });
        password.value = "";
        setSession({ user: done.user, org: done.org, roles: done.roles, permissions: done.permissions, session: done.session }, done.csrf_token, done.idle_timeout_seconds);
        const next = S.afterLogin;
        S.afterLogin = null;
        navigate(next && S.me.session.stage === "full" ? next : defaultHash());
      } catch (err) {
        const p = err.problem || {};
        if (p.code === "second_factor_required") {
          codeField.hidden = false;
          const tail = /ending (\d+)/.exec(p.detail || "");
          codeHint.textContent = tail ? t("login.code_sms", { tail: tail[1] }) : t("login.code_totp");
          if (codeField.dataset.asked) message.textContent = t("login.code_wrong");
          codeField.dataset.asked = "1";
          code.value = "";
          code.focus();
        } else if (p.code === "login_refused") {
          message.textContent = t("err.login_refused");
          password.value = "";
          password.focus();
        } else {
          message.textContent = errorText(err);
        }
      } finally {
        setBusy(submit, false);
      }
    });

    append(page, el("div", { class: "login-box" },
      heading(t("login.title")),
      el("p", { class: "muted", text: t("login.intro") }),
      note, form));
    org.focus();
  }

  function passwordForm(onDone) {
    const current = el("input", { type: "password", autocomplete: "current-password", test: "password-current" });
    const next = el("input", { type: "password", autocomplete: "new-password", test: "password-new" });
    const again = el("input", { type: "password", autocomplete: "new-password", test: "password-again" });
    const submit = button(t("password.submit"), { type: "submit", class: "btn-primary", test: "password-submit" });
    const form = el("form", { class: "form narrow", novalidate: true },
      field(t("password.current"), current, { name: "current_password" }),
      field(t("password.new"), next, { name: "new_password", hint: t("password.hint") }),
      field(t("password.again"), again, { name: "again" }),
      submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (next.value !== again.value) {
        showFieldError(form, { problem: { field: "again", detail: t("password.mismatch") } });
        return;
      }
      setBusy(submit, true);
      try {
        const result = await api("POST", "/api/v1/me/password", { current_password: current.value, new_password: next.value });
        current.value = next.value = again.value = "";
        toast(t("password.changed"), "success");
        onDone(result);
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    return form;
  }

  function renderPasswordStage(page) {
    append(page, heading(t("password.title")),
      el("p", { class: "notice", text: t("password.must") }),
      passwordForm((result) => {
        if (result && result.stage) S.me.session.stage = result.stage;
        navigate(defaultHash());
      }));
  }

  async function renderEnroll(page) {
    const me = await api("GET", "/api/v1/me");
    const area = el("div", { class: "enroll-area" });
    const phones = (me.user && me.user.phones) || [];
    // Adding a second factor asks for the password again, so a session left
    // open can't be used to tie the account to someone else's phone.
    const password = el("input", { type: "password", autocomplete: "current-password", test: "enroll-password" });
    const confirmForm = el("form", { class: "form narrow", novalidate: true, onsubmit: (event) => event.preventDefault() },
      field(t("enroll.password"), password, { name: "current_password" }));
    const finish = (result) => {
      replace(area, card(t("enroll.codes_title"),
        el("p", { text: t("enroll.codes_intro") }),
        el("ol", { class: "codes", test: "recovery-codes" }, (result.recovery_codes || []).map((c) => el("li", { text: c }))),
        button(t("enroll.continue"), { class: "btn-primary", test: "enroll-continue", onclick: () => {
          S.me.session.stage = result.stage || "full";
          navigate(defaultHash());
        } })));
    };
    const startTotp = async () => {
      try {
        const begun = await api("POST", "/api/v1/me/totp", { current_password: password.value });
        const code = el("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", test: "enroll-code" });
        const form = el("form", { class: "form narrow", novalidate: true },
          el("p", { text: t("enroll.totp_intro") }),
          el("div", { class: "qr-box", test: "enroll-qr" }, qrSvg(begun.otpauth_uri, t("enroll.qr"))),
          el("p", null, t("enroll.secret"), " ", el("code", { class: "secret", test: "enroll-secret", text: String(begun.secret).replace(/(.{4})/g, "$1 ").trim() })),
          field(t("enroll.code"), code, { name: "code" }),
          button(t("enroll.confirm"), { type: "submit", class: "btn-primary", test: "enroll-submit" }));
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          clearErrors(form);
          try {
            finish(await api("POST", "/api/v1/me/totp/confirm", { code: code.value.trim() }));
          } catch (err) {
            if (!showFieldError(form, err)) report(err);
          }
        });
        replace(area, card(t("enroll.totp"), form));
        code.focus();
      } catch (err) {
        if (!showFieldError(confirmForm, err)) report(err);
      }
    };
    const startSms = async (phone) => {
      try {
        await api("POST", "/api/v1/me/sms-second-factor", { phone, current_password: password.value });
        const code = el("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", test: "enroll-code" });
        const form = el("form", { class: "form narrow", novalidate: true },
          el("p", { text: t("enroll.sms_sent", { phone }) }),
          field(t("enroll.code"), code, { name: "code" }),
          button(t("enroll.confirm"), { type: "submit", class: "btn-primary", test: "enroll-submit" }));
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          clearErrors(form);
          try {
            finish(await api("POST", "/api/v1/me/sms-second-factor/confirm", { code: code.value.trim() }));
          } catch (err) {
            if (!showFieldError(form, err)) report(err);
          }
        });
        replace(area, card(t("enroll.sms"), form));
        code.focus();
      } catch (err) {
        if (!showFieldError(confirmForm, err)) report(err);
      }
    };
    replace(area, confirmForm,
      el("div", { class: "choice-row" },
        button(t("enroll.totp"), { class: "btn-primary", test: "enroll-totp", onclick: () => { clearErrors(confirmForm); startTotp(); } }),
        phones.map((phone) => button(t("enroll.sms_to", { phone }), { test: "enroll-sms", onclick: () => { clearErrors(confirmForm); startSms(phone); } }))));
    append(page, heading(t("enroll.title")), el("p", { class: "notice", text: t("enroll.must") }), area);
  }

  async function renderAccount(page) {
    append(page, heading(t("account.title")));
    const me = await api("GET", "/api/v1/me");
    append(page, card(t("account.me"),
      el("dl", { class: "facts" },
        el("dt", { text: t("users.name") }), el("dd", { text: me.user.name }),
        el("dt", { text: t("users.username") }), el("dd", { text: me.user.username }),
        el("dt", { text: t("login.org") }), el("dd", { text: `${me.org.name} (${me.org.slug})` }),
        el("dt", { text: t("users.roles") }), el("dd", { text: (me.roles || []).join(", ") || "–" }),
        el("dt", { text: t("users.second_factor") }), el("dd", { text: me.user.second_factor ? t("common.yes") : t("common.no") }))));
    append(page, card(t("password.title"), passwordForm((result) => {
      if (result && result.stage) S.me.session.stage = result.stage;
      if (S.me.session.stage !== "full") navigate(defaultHash());
    })));
    const sessionsBox = el("div");
    append(page, card(t("account.sessions"), sessionsBox));
    const loadSessions = async () => {
      const data = await api("GET", "/api/v1/me/sessions");
      replace(sessionsBox, table(
        [t("account.started"), t("account.last_seen"), t("account.source"), t("account.browser"), ""],
        data.sessions.map((s) => el("tr", null,
          el("td", { text: fmtTime(s.created_at) }),
          el("td", { text: fmtTime(s.last_seen_at) }),
          el("td", { text: s.source || "–" }),
          el("td", { class: "wrap", text: s.user_agent || "–" }),
          el("td", null, s.current ? badge(t("account.this_session"), "b-ok") : button(t("account.end"), {
            class: "btn-small", onclick: async () => {
              try {
                await api("DELETE", `/api/v1/me/sessions/${enc(s.id)}`);
                await loadSessions();
              } catch (err) {
                report(err);
              }
            },
          }))))));
    };
    await loadSessions();
  }

  function renderHome(page) {
    append(page, heading(t("home.title")), el("p", { text: t("home.member") }));
  }

  // ---------------------------------------------------------------------------
  // A small QR code encoder (byte mode, error correction level M, versions
  // 1–10) for the authenticator enrolment link, drawn as inline SVG.
  // ---------------------------------------------------------------------------

  const QR_ECC_PER_BLOCK = [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26];
  const QR_BLOCKS = [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5];

  function qrRawModules(v) {
    let result = (16 * v + 128) * v + 64;
    if (v >= 2) {
      const align = Math.floor(v / 7) + 2;
      result -= (25 * align - 10) * align - 55;
      if (v >= 7) result -= 36;
    }
    return result;
  }

  function qrDataCodewords(v) {
    return Math.floor(qrRawModules(v) / 8) - QR_ECC_PER_BLOCK[v] * QR_BLOCKS[v];
  }

  function gfMul(x, y) {
    let z = 0;
    for (let i = 7; i >= 0; i--) {
      z = (z << 1) ^ ((z >>> 7) * 0x11d);
      z ^= ((y >>> i) & 1) * x;
    }
    return z & 0xff;
  }

  function rsDivisor(degree) {
    const result = new Array(degree).fill(0);
    result[degree - 1] = 1;
    let root = 1;
    for (let i = 0; i < degree; i++) {
      for (let j = 0; j < degree; j++) {
        result[j] = gfMul(result[j], root);
        if (j + 1 < degree) result[j] ^= result[j + 1];
      }
      root = gfMul(root, 0x02);
    }
    return result;
  }

  function rsRemainder(data, divisor) {
    const result = divisor.map(() => 0);
    for (const b of data) {
      const factor = b ^ result.shift();
      result.push(0);
      divisor.forEach((coef, i) => {
        result[i] ^= gfMul(coef, factor);
      });
    }
    return result;
  }

  /** The QR modules (true = dark) for a text, or null when it is too long. */
  function qrEncode(text) {
    const bytes = Array.from(new TextEncoder().encode(text));
    let version = 0;
    for (let v = 1; v <= 10; v++) {
      const countBits = v <= 9 ? 8 : 16;
      if (4 + countBits + bytes.length * 8 <= qrDataCodewords(v) * 8) {
        version = v;
        break;
      }
    }
    if (!version) return null;
    const bits = [];
    const put = (value, length) => {
      for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
    };
    put(4, 4);
    put(bytes.length, version <= 9 ? 8 : 16);
    for (const b of bytes) put(b, 8);
    const capacity = qrDataCodewords(version) * 8;
    put(0, Math.min(4, capacity - bits.length));
    put(0, (8 - (bits.length % 8)) % 8);
    for (let pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) put(pad, 8);
    const data = [];
    for (let i = 0; i < bits.length; i += 8) data.push(parseInt(bits.slice(i, i + 8).join(""), 2));

    // Error correction, in blocks, interleaved.
    const blocks = QR_BLOCKS[version];
    const eccLen = QR_ECC_PER_BLOCK[version];
    const raw = Math.floor(qrRawModules(version) / 8);
    const shortBlocks = blocks - (raw % blocks);
    const shortLen = Math.floor(raw / blocks);
    const divisor = rsDivisor(eccLen);
    const parts = [];
    for (let i = 0, k = 0; i < blocks; i++) {
      const dat = data.slice(k, k + shortLen - eccLen + (i < shortBlocks ? 0 : 1));
      k += dat.length;
      const ecc = rsRemainder(dat, divisor);
      if (i < shortBlocks) dat.push(0);
      parts.push(dat.concat(ecc));
    }
    const codewords = [];
    for (let i = 0; i < parts[0].length; i++) {
      parts.forEach((block, j) => {
        if (i !== shortLen - eccLen || j >= shortBlocks) codewords.push(block[i]);
      });
    }

    const size = version * 4 + 17;
    const modules = Array.from({ length: size }, () => new Array(size).fill(false));
    const fixed = Array.from({ length: size }, () => new Array(size).fill(false));
    const set = (x, y, dark) => {
      modules[y][x] = dark;
      fixed[y][x] = true;
    };
    for (let i = 0; i < size; i++) {
      set(6, i, i % 2 === 0);
      set(i, 6, i % 2 === 0);
    }
    const finder = (cx, cy) => {
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          const x = cx + dx;
          const y = cy + dy;
          const dist = Math.max(Math.abs(dx), Math.abs(dy));
          if (x >= 0 && x < size && y >= 0 && y < size) set(x, y, dist !== 2 && dist !== 4);
        }
      }
    };
    finder(3, 3);
    finder(size - 4, 3);
    finder(3, size - 4);
    if (version >= 2) {
      const count = Math.floor(version / 7) + 2;
      const step = Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
      const positions = [6];
      for (let pos = size - 7; positions.length < count; pos -= step) positions.splice(1, 0, pos);
      positions.forEach((y, i) => positions.forEach((x, j) => {
        if ((i === 0 && j === 0) || (i === 0 && j === count - 1) || (i === count - 1 && j === 0)) return;
        for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) set(x + dx, y + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }));
    }
    const formatBits = (mask) => {
      const value = (0 << 3) | mask; // level M
      let rem = value;
      for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
      const f = ((value << 10) | rem) ^ 0x5412;
      const bit = (i) => ((f >>> i) & 1) === 1;
      for (let i = 0; i <= 5; i++) set(8, i, bit(i));
      set(8, 7, bit(6));
      set(8, 8, bit(7));
      set(7, 8, bit(8));
      for (let i = 9; i < 15; i++) set(14 - i, 8, bit(i));
      for (let i = 0; i < 8; i++) set(size - 1 - i, 8, bit(i));
      for (let i = 8; i < 15; i++) set(8, size - 15 + i, bit(i));
      set(8, size - 8, true);
    };
    formatBits(0);
    if (version >= 7) {
      let rem = version;
      for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
      const v = (version << 12) | rem;
      for (let i = 0; i < 18; i++) {
        const dark = ((v >>> i) & 1) === 1;
        const a = size - 11 + (i % 3);
        const b = Math.floor(i / 3);
        set(a, b, dark);
        set(b, a, dark);
      }
    }
    let n = 0;
    for (let right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (let vert = 0; vert < size; vert++) {
        for (let j = 0; j < 2; j++) {
          const x = right - j;
          const upward = ((right + 1) & 2) === 0;
          const y = upward ? size - 1 - vert : vert;
          if (!fixed[y][x] && n < codewords.length * 8) {
            modules[y][x] = ((codewords[n >>> 3] >>> (7 - (n & 7))) & 1) === 1;
            n += 1;
          }
        }
      }
    }
    const maskFns = [
      (x, y) => (x + y) % 2 === 0,
      (x, y) => y % 2 === 0,
      (x) => x % 3 === 0,
      (x, y) => (x + y) % 3 === 0,
      (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
      (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
      (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
      (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
    ];
    const applyMask = (mask) => {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) if (!fixed[y][x] && maskFns[mask](x, y)) modules[y][x] = !modules[y][x];
      }
    };
    let best = 0;
    let bestScore = Infinity;
    for (let mask = 0; mask < 8; mask++) {
      applyMask(mask);
      formatBits(mask);
      const score = qrPenalty(modules);
      if (score < bestScore) {
        best = mask;
        bestScore = score;
      }
      applyMask(mask);
    }
    applyMask(best);
    formatBits(best);
    return modules;
  }

  function qrPenalty(m) {
    const size = m.length;
    let score = 0;
    const line = (get) => {
      let run = 1;
      for (let i = 1; i <= size; i++) {
        if (i < size && get(i) === get(i - 1)) run += 1;
        else {
          if (run >= 5) score += run - 2;
          run = 1;
        }
      }
      const s = Array.from({ length: size }, (_, i) => (get(i) ? "1" : "0")).join("");
      for (const pattern of ["10111010000", "00001011101"]) {
        for (let at = s.indexOf(pattern); at >= 0; at = s.indexOf(pattern, at + 1)) score += 40;
      }
    };
    let dark = 0;
    for (let i = 0; i < size; i++) {
      line((j) => m[i][j]);
      line((j) => m[j][i]);
      for (let j = 0; j < size; j++) {
        if (m[i][j]) dark += 1;
        if (i + 1 < size && j + 1 < size && m[i][j] === m[i][j + 1] && m[i][j] === m[i + 1][j] && m[i][j] === m[i + 1][j + 1]) score += 3;
      }
    }
    const total = size * size;
    score += (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1) * 10;
    return score;
  }

  /** The QR code of a text as an SVG element, or null when it doesn't fit. */
  function qrSvg(text, label) {
    const modules = qrEncode(text);
    if (!modules) return null;
    const ns = "http://www.w3.org/2000/svg";
    const size = modules.length + 8;
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
    svg.setAttribute("width", String(size * 5));
    svg.setAttribute("height", String(size * 5));
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    svg.setAttribute("class", "qr");
    svg.setAttribute("shape-rendering", "crispEdges");
    const bg = document.createElementNS(ns, "rect");
    bg.setAttribute("width", String(size));
    bg.setAttribute("height", String(size));
    bg.setAttribute("fill", "#ffffff");
    let d = "";
    modules.forEach((row, y) => row.forEach((dark, x) => {
      if (dark) d += `M${x + 4},${y + 4}h1v1h-1z`;
    }));
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "#000000");
    svg.append(bg, path);
    return svg;
  }

  // ---------------------------------------------------------------------------
  // Directory (users, groups, roles) as far as the caller may read it
  // ---------------------------------------------------------------------------

  function makeDirectory(users, groups, roles, loaded) {
    const byId = new Map(users.map((u) => [u.id, u]));
    const byUsername = new Map(users.map((u) => [u.username, u]));
    return {
      loaded,
      users,
      groups,
      roles,
      byId,
      user: (ref) => byUsername.get(ref) || byId.get(ref) || null,
      group: (ref) => groups.find((g) => g.name === ref || g.id === ref) || null,
      label: (ref) => {
        const u = byUsername.get(ref) || byId.get(ref);
        return u ? u.name : ref;
      },
    };
  }

  async function loadDirectory() {
    if (!can("read_directory")) return makeDirectory([], [], [], false);
    const [users, groups, roles] = await Promise.all([
      settle(api("GET", "/api/v1/users")),
      settle(api("GET", "/api/v1/groups")),
      settle(api("GET", "/api/v1/roles")),
    ]);
    for (const r of [users, groups, roles]) if (!r.ok) report(r.error);
    return makeDirectory(
      users.ok ? users.value.users : [],
      groups.ok ? groups.value.groups : [],
      roles.ok ? roles.value.roles : [],
      users.ok && groups.ok);
  }

  /** The modems' SMS capacity, for the estimate; unknown without manage_devices. */
  async function loadSmsCapacity() {
    if (!can("manage_devices")) return { known: false };
    const r = await settle(api("GET", "/api/v1/devices/hardware"));
    if (!r.ok) return { known: false };
    const sms = r.value.sms;
    if (!sms) return { known: true, capacity: 0, queued: 0 };
    return { known: true, capacity: Number(sms.capacity_per_minute) || 0, queued: sms.queued || 0 };
  }

  // ---------------------------------------------------------------------------
  // Alert drafts: what the send page and the template editor edit
  // ---------------------------------------------------------------------------

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function newDraft() {
    return {
      title: "", body: "", severity: "critical", channels: ["app", "sms"],
      users: [], groups: [], roles: [], phones: [], emails: [], tetra_issi: [], tetra_gssi: [],
      responses: [t("send.default_yes"), t("send.default_no")], allow_eta: true, allow_text: false,
      next_channel_after: "", min_coming: "", coming_within: "", then_groups: [], max_rounds: "",
      callout: false, callout_severity: "", tetra_status: "",
      seal_password: "", lat: "", lon: "", place: "",
      key: newKey(),
    };
  }

  function draftFromAlert(alert) {
    const d = newDraft();
    const r = alert.recipients || {};
    const e = alert.escalation || {};
    Object.assign(d, {
      title: alert.title || "",
      body: alert.body || "",
      severity: SEVERITIES.includes(alert.severity) ? alert.severity : "critical",
      channels: CHANNELS.filter((c) => (alert.channels || []).includes(c)),
      users: [...(r.users || [])], groups: [...(r.groups || [])], roles: [...(r.roles || [])],
      phones: [...(r.phones || [])], emails: [...(r.emails || [])],
      tetra_issi: [...(r.tetra_issi || [])], tetra_gssi: [...(r.tetra_gssi || [])],
      responses: alert.responses && alert.responses.length ? [...alert.responses] : d.responses,
      allow_eta: !!alert.allow_eta,
      allow_text: !!alert.allow_text,
      next_channel_after: e.next_channel_after_seconds != null ? String(e.next_channel_after_seconds) : "",
      min_coming: e.min_coming != null ? String(e.min_coming) : "",
      coming_within: e.coming_within_seconds != null ? String(e.coming_within_seconds) : "",
      then_groups: [...(e.then_groups || [])],
      max_rounds: e.max_rounds != null ? String(e.max_rounds) : "",
      callout: !!alert.tetra_callout,
      callout_severity: alert.tetra_callout && alert.tetra_callout.severity != null ? String(alert.tetra_callout.severity) : "",
      tetra_status: alert.tetra_status || "",
      lat: alert.location ? String(alert.location.lat) : "",
      lon: alert.location ? String(alert.location.lon) : "",
      place: alert.location ? alert.location.label || "" : "",
    });
    return d;
  }

  function numberOrNull(text) {
    const s = String(text || "").trim();
    if (!s) return null;
    const n = Number(s);
    return Number.isFinite(n) ? n : s;
  }

  /** The AlertRequest body of POST /api/v1/alerts. */
  function requestFromDraft(d) {
    const request = {
      title: d.title.trim(),
      body: d.body.trim(),
      severity: d.severity,
      channels: CHANNELS.filter((c) => d.channels.includes(c)),
      recipients: {
        users: d.users, groups: d.groups, roles: d.roles, phones: d.phones, emails: d.emails,
        tetra_issi: d.tetra_issi, tetra_gssi: d.tetra_gssi,
      },
      responses: d.responses.map((r) => r.trim()).filter(Boolean),
      allow_eta: d.allow_eta,
      allow_text: d.allow_text,
    };
    const escalation = {
      next_channel_after_seconds: numberOrNull(d.next_channel_after),
      min_coming: numberOrNull(d.min_coming),
      coming_within_seconds: numberOrNull(d.coming_within),
      then_groups: d.then_groups,
      max_rounds: numberOrNull(d.max_rounds),
    };
    const anyEscalation = Object.entries(escalation).some(([k, v]) => (k === "then_groups" ? v.length > 0 : v !== null));
    if (anyEscalation) request.escalation = escalation;
    if (request.channels.includes("tetra")) {
      if (d.callout) request.tetra_callout = { severity: numberOrNull(d.callout_severity) };
      else if (d.tetra_status.trim()) request.tetra_status = d.tetra_status.trim();
    }
    if (String(d.lat).trim() || String(d.lon).trim()) {
      request.location = { lat: numberOrNull(d.lat), lon: numberOrNull(d.lon), label: d.place.trim() };
    }
    return request;
  }

  /** The request with its text sealed under the draft's password, when it has one. */
  async function sealedRequest(d) {
    const request = requestFromDraft(d);
    if (d.seal_password) {
      request.sealed = await window.TocsinSeal.seal(request.body, d.seal_password, { org: S.me.org.id, title: request.title });
      request.body = "";
    }
    return request;
  }

  function recipientCount(d) {
    return d.users.length + d.groups.length + d.roles.length + d.phones.length + d.emails.length + d.tetra_issi.length + d.tetra_gssi.length;
  }

  function reachableOn(user, channel) {
    switch (channel) {
      case "app": return !!user.can_log_in;
      case "sms":
      case "voice": return (user.phones || []).length > 0;
      case "email": return !!user.email;
      case "tetra": return user.tetra_issi !== null && user.tetra_issi !== undefined;
      default: return false;
    }
  }

  /** The server's rule: the user's preferred channels among the alert's, else the alert's; only those with an address. */
  function userChannels(user, alertChannels) {
    const preferred = (user.channels || []).filter((c) => alertChannels.includes(c));
    const order = preferred.length ? preferred : alertChannels;
    return order.filter((c) => reachableOn(user, c));
  }

  /** People and deliveries as far as the browser can tell; the 202 answer gives the exact numbers. */
  function estimate(d, dir) {
    const channels = CHANNELS.filter((c) => d.channels.includes(c));
    const firstOnly = Number(d.next_channel_after) > 0;
    const people = [];
    const seen = new Set();
    let uncertain = !dir.loaded && (d.users.length || d.groups.length || d.roles.length) > 0;
    const addUser = (user) => {
      if (!user || seen.has(user.id)) return;
      seen.add(user.id);
      people.push(userChannels(user, channels));
    };
    for (const ref of d.users) {
      const user = dir.user(ref);
      if (user) addUser(user);
      else uncertain = true;
    }
    for (const ref of d.groups) {
      const group = dir.group(ref);
      if (!group) {
        uncertain = true;
        continue;
      }
      for (const member of group.members || []) addUser(dir.byId.get(member));
    }
    for (const role of d.roles) for (const user of dir.users.filter((u) => (u.roles || []).includes(role))) addUser(user);
    const knownPhones = new Set();
    const knownEmails = new Set();
    const knownIssi = new Set();
    for (const id of seen) {
      const u = dir.byId.get(id);
      if (u.phones && u.phones[0]) knownPhones.add(u.phones[0]);
      if (u.email) knownEmails.add(u.email);
      if (u.tetra_issi != null) knownIssi.add(u.tetra_issi);
    }
    const adHoc = (values, known, kinds) => {
      for (const v of new Set(values)) if (!known.has(v)) people.push(channels.filter((c) => kinds.includes(c)));
    };
    adHoc(d.phones, knownPhones, ["sms", "voice"]);
    adHoc(d.emails, knownEmails, ["email"]);
    adHoc(d.tetra_issi, knownIssi, ["tetra"]);
    adHoc(d.tetra_gssi, new Set(), ["tetra"]);
    const deliveries = {};
    let unreachable = 0;
    for (const list of people) {
      const used = firstOnly ? list.slice(0, 1) : list;
      if (!used.length) unreachable += 1;
      for (const c of used) deliveries[c] = (deliveries[c] || 0) + 1;
    }
    return { people: people.length, deliveries, unreachable, uncertain, firstOnly };
  }

  function smsEstimateText(est, sms) {
    const count = est.deliveries.sms || 0;
    if (!count) return t("send.sms_none");
    if (!sms.known) return t("send.sms_unknown");
    if (!sms.capacity) return t("send.no_modem");
    return t("send.sms_eta", { time: fmtDuration((count / sms.capacity) * 60) });
  }

  /** The numbers shown beside the form and again before sending. */
  function summaryBlock(d, dir, sms) {
    const est = estimate(d, dir);
    const rows = CHANNELS.filter((c) => est.deliveries[c]).map((c) =>
      el("li", { "data-channel": c }, el("span", { text: t(`ch.${c}`) }), el("strong", { text: fmtNum(est.deliveries[c]) })));
    return el("div", { class: "summary-block" },
      el("div", { class: "big-stat" },
        el("span", { class: "big-number", test: "summary-people", text: fmtNum(est.people) }),
        el("span", { class: "big-label", text: t("send.people_estimate") })),
      est.uncertain ? el("p", { class: "hint", text: t("send.estimate_uncertain") }) : null,
      el("h3", { text: est.firstOnly ? t("send.deliveries_first") : t("send.deliveries") }),
      rows.length ? el("ul", { class: "kv-list", test: "summary-deliveries" }, rows) : el("p", { class: "muted", text: "–" }),
      est.unreachable ? el("p", { class: "warn-text", test: "summary-unreachable", text: tn("send.unreachable", est.unreachable) }) : null,
      el("h3", { text: t("send.sms_time") }),
      el("p", { class: sms.known && !sms.capacity && est.deliveries.sms ? "warn-text" : "", test: "summary-sms", text: smsEstimateText(est, sms) }),
      sms.known && sms.queued ? el("p", { class: "hint", text: tn("send.sms_queued", sms.queued) }) : null);
  }

  // ---------------------------------------------------------------------------
  // The composer: one form for the send page (prefix "send") and templates ("tpl")
  // ---------------------------------------------------------------------------

  function parseAddress(text) {
    const raw = String(text || "").trim();
    const compact = raw.replace(/[\s\-().]/g, "");
    if (/^\+[1-9]\d{7,14}$/.test(compact)) return { kind: "phones", value: compact };
    if (/^00[1-9]\d{7,14}$/.test(compact)) return { kind: "phones", value: `+${compact.slice(2)}` };
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw)) return { kind: "emails", value: raw };
    const gssi = /^(?:g|gssi|group|ryhmä|grupp)[:\s]*(\d{1,8})$/i.exec(raw);
    if (gssi && Number(gssi[1]) >= 1 && Number(gssi[1]) <= 16777215) return { kind: "tetra_gssi", value: Number(gssi[1]) };
    const issi = /^(?:issi[:\s]*)?(\d{1,8})$/i.exec(raw);
    if (issi && Number(issi[1]) >= 1 && Number(issi[1]) <= 16777215) return { kind: "tetra_issi", value: Number(issi[1]) };
    return null;
  }

  function composer(d, dir, opts) {
    const p = opts.prefix;
    const changed = () => {
      d.key = newKey();
      refreshChips();
      refreshTetra();
      if (opts.onChange) opts.onChange();
    };

    // Message
    const title = el("input", { type: "text", maxlength: "200", value: d.title, test: `${p}-title`, autocomplete: "off" });
    title.addEventListener("input", () => {
      d.title = title.value;
      changed();
    });
    const body = el("textarea", { rows: "4", maxlength: "4000", test: `${p}-body` });
    body.value = d.body;
    body.addEventListener("input", () => {
      d.body = body.value;
      changed();
    });
    const sealPassword = el("input", { type: "password", autocomplete: "new-password", value: d.seal_password, test: `${p}-seal` });
    sealPassword.addEventListener("input", () => {
      d.seal_password = sealPassword.value;
    });
    const place = (key, label, attrs) => {
      const input = el("input", Object.assign({ type: "text", value: d[key], test: `${p}-${key}` }, attrs));
      input.addEventListener("input", () => {
        d[key] = input.value;
      });
      return field(label, input, { name: key === "place" ? "location.label" : `location.${key}` });
    };
    const whereBox = el("div", { class: "inline" },
      place("lat", t("send.lat"), { inputmode: "decimal", size: "10" }),
      place("lon", t("send.lon"), { inputmode: "decimal", size: "10" }),
      place("place", t("send.location_label"), { maxlength: "200" }));

    // Severity
    const sevButtons = SEVERITIES.map((s) => {
      const b = el("button", {
        type: "button", class: `sev-toggle sev-${s}`, test: `${p}-severity-${s}`, "aria-pressed": String(d.severity === s),
        onclick: () => {
          d.severity = s;
          for (const other of sevButtons) other.setAttribute("aria-pressed", String(other === b));
          changed();
        },
      }, el("span", { class: "sev-dot", "aria-hidden": "true" }), t(`sev.${s}`));
      return b;
    });
    const severity = el("fieldset", { class: "fieldset", "data-field": "severity" },
      el("legend", { text: t("send.severity") }),
      el("div", { class: "sev-row" }, sevButtons),
      el("p", { class: "field-error", role: "alert" }));

    // Recipients
    const chipsBox = el("div", { class: "chips", test: `${p}-chosen`, "aria-live": "polite" });
    const groupToggles = el("div", { class: "toggle-row" });
    const roleToggles = el("div", { class: "toggle-row" });
    const toggleFor = (list, value, label, count, test) => {
      const pressed = d[list].includes(value);
      return el("button", {
        type: "button", class: "chip-toggle", test, "aria-pressed": String(pressed),
        onclick: () => {
          const i = d[list].indexOf(value);
          if (i >= 0) d[list].splice(i, 1);
          else d[list].push(value);
          changed();
        },
      }, label, count !== null ? el("span", { class: "chip-count" },
        el("span", { "aria-hidden": "true", text: fmtNum(count) }), el("span", { class: "sr-only", text: `(${tn("send.members", count)})` })) : null);
    };
    const removeChip = (list, value) => {
      const i = d[list].indexOf(value);
      if (i >= 0) d[list].splice(i, 1);
      changed();
    };
    const chip = (list, value, label, kindLabel) => el("span", { class: `chip chip-${list}` },
      el("span", { class: "chip-kind", text: kindLabel }), el("span", { text: label }),
      el("button", { type: "button", class: "chip-remove", "aria-label": t("send.remove", { name: label }), text: "×", onclick: () => removeChip(list, value) }));

    function refreshChips() {
      replace(groupToggles, dir.groups.map((g) => toggleFor("groups", g.name, g.name, (g.members || []).length, `${p}-group-${g.name}`)));
      replace(roleToggles, dir.roles.map((r) => toggleFor("roles", r.name, r.name, null, `${p}-role-${r.name}`)));
      const chips = [
        d.groups.map((g) => chip("groups", g, (dir.group(g) || { name: g }).name, t("send.kind_group"))),
        d.users.map((u) => chip("users", u, dir.label(u), t("send.kind_person"))),
        d.roles.map((r) => chip("roles", r, r, t("send.kind_role"))),
        d.phones.map((v) => chip("phones", v, v, t("send.kind_phone"))),
        d.emails.map((v) => chip("emails", v, v, t("send.kind_email"))),
        d.tetra_issi.map((v) => chip("tetra_issi", v, String(v), "ISSI")),
        d.tetra_gssi.map((v) => chip("tetra_gssi", v, String(v), "GSSI")),
      ].flat();
      replace(chipsBox, chips.length ? chips : el("span", { class: "muted", text: t("send.nobody") }));
    }

    const search = el("input", { type: "search", test: `${p}-people-search`, autocomplete: "off", placeholder: t("send.search_placeholder") });
    const results = el("ul", { class: "search-results", test: `${p}-people-results` });
    const addUser = (user) => {
      if (!d.users.includes(user.username)) d.users.push(user.username);
      search.value = "";
      replace(results);
      changed();
      search.focus();
    };
    const showResults = () => {
      const q = search.value.trim().toLowerCase();
      if (!q) {
        replace(results);
        return;
      }
      const hits = dir.users.filter((u) => !d.users.includes(u.username) &&
        [u.name, u.username, ...(u.phones || []), u.email || ""].some((v) => String(v).toLowerCase().includes(q))).slice(0, 8);
      replace(results, hits.length ? hits.map((u) => el("li", null, el("button", {
        type: "button", class: "result", test: `${p}-person-${u.username}`, onclick: () => addUser(u),
      }, el("strong", { text: u.name }), " ", el("span", { class: "muted", text: u.username })))) : el("li", { class: "muted", text: t("send.no_match") }));
      return hits;
    };
    search.addEventListener("input", showResults);
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        const hits = showResults();
        if (hits && hits.length) addUser(hits[0]);
      } else if (event.key === "Escape") {
        search.value = "";
        replace(results);
      }
    });

    const address = el("input", { type: "text", test: `${p}-address`, autocomplete: "off", placeholder: t("send.address_placeholder") });
    const addressError = el("p", { class: "field-error", role: "alert" });
    const addAddress = () => {
      const parsed = parseAddress(address.value);
      if (!parsed) {
        addressError.textContent = t("send.address_bad");
        address.setAttribute("aria-invalid", "true");
        return;
      }
      addressError.textContent = "";
      address.removeAttribute("aria-invalid");
      if (!d[parsed.kind].includes(parsed.value)) d[parsed.kind].push(parsed.value);
      address.value = "";
      changed();
      address.focus();
    };
    address.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        addAddress();
      }
    });
    const addressId = uid("addr");
    address.id = addressId;

    const recipients = el("fieldset", { class: "fieldset", "data-field": "recipients" },
      el("legend", { text: t("send.recipients") }),
      el("p", { class: "field-error", role: "alert" }),
      dir.groups.length ? [el("h3", { text: t("send.groups") }), groupToggles] : null,
      dir.users.length ? el("div", { class: "field people-search" },
        el("label", { for: search.id = uid("search"), text: t("send.people") }), search, results) : null,
      el("div", { class: "field" },
        el("label", { for: addressId, text: t("send.address") }),
        el("div", { class: "inline" }, address, button(t("send.add"), { test: `${p}-address-add`, onclick: addAddress })),
        el("p", { class: "hint", text: t("send.address_hint") }), addressError),
      dir.roles.length ? el("details", { class: "more", open: d.roles.length > 0 },
        el("summary", { text: t("send.roles") }), roleToggles) : null,
      el("h3", { text: t("send.chosen") }), chipsBox);

    // Channels
    const channels = el("fieldset", { class: "fieldset", "data-field": "channels" },
      el("legend", { text: t("send.channels") }),
      el("div", { class: "check-row" }, CHANNELS.map((c) => checkbox(t(`ch.${c}`), {
        checked: d.channels.includes(c), test: `${p}-channel-${c}`, value: c,
        onchange: (event) => {
          if (event.target.checked) d.channels = CHANNELS.filter((x) => x === c || d.channels.includes(x));
          else d.channels = d.channels.filter((x) => x !== c);
          changed();
        },
      }))),
      el("p", { class: "field-error", role: "alert" }));

    // Answers
    const responsesList = el("div", { class: "responses" });
    const refreshResponses = () => {
      replace(responsesList, d.responses.map((value, i) => {
        const input = el("input", { type: "text", maxlength: "40", value, test: `${p}-response-${i}`, "aria-label": t("send.option_n", { n: i + 1 }) });
        input.addEventListener("input", () => {
          d.responses[i] = input.value;
          changed();
        });
        return el("div", { class: "inline" },
          el("span", { class: "option-n", "aria-hidden": "true", text: `${i + 1}.` }), input,
          button("×", { class: "btn-small btn-quiet", ariaLabel: t("send.remove_option", { n: i + 1 }), onclick: () => {
            d.responses.splice(i, 1);
            refreshResponses();
            changed();
          } }));
      }), d.responses.length < 6 ? button(t("send.add_option"), { class: "btn-small", test: `${p}-add-option`, onclick: () => {
        d.responses.push("");
        refreshResponses();
        const inputs = responsesList.querySelectorAll("input");
        inputs[inputs.length - 1].focus();
      } }) : null);
    };
    refreshResponses();
    const answers = el("fieldset", { class: "fieldset", "data-field": "responses" },
      el("legend", { text: t("send.answers") }),
      el("p", { class: "hint", text: t("send.answers_hint") }),
      responsesList,
      el("p", { class: "field-error", role: "alert" }),
      el("div", { class: "check-row" },
        checkbox(t("send.allow_eta"), { checked: d.allow_eta, test: `${p}-allow-eta`, onchange: (e) => { d.allow_eta = e.target.checked; changed(); } }),
        checkbox(t("send.allow_text"), { checked: d.allow_text, test: `${p}-allow-text`, onchange: (e) => { d.allow_text = e.target.checked; changed(); } })));

    // Escalation
    const numberInput = (key, test, min, max) => {
      const input = el("input", { type: "number", min, max, inputmode: "numeric", value: d[key], test });
      input.addEventListener("input", () => {
        d[key] = input.value;
        changed();
      });
      return input;
    };
    const thenGroups = el("div", { class: "check-row" }, dir.groups.map((g) => checkbox(g.name, {
      checked: d.then_groups.includes(g.name), onchange: (e) => {
        if (e.target.checked) d.then_groups.push(g.name);
        else d.then_groups = d.then_groups.filter((x) => x !== g.name);
        changed();
      },
    })));
    const escalationOpen = !!(d.next_channel_after || d.min_coming || d.coming_within || d.then_groups.length);
    const escalation = el("details", { class: "more fieldset-like", open: escalationOpen },
      el("summary", { text: t("send.escalation") }),
      field(t("send.next_channel_after"), numberInput("next_channel_after", `${p}-escalation-seconds`, "5", "86400"), { name: "escalation.next_channel_after_seconds", hint: t("send.next_channel_hint") }),
      el("div", { class: "grid-3" },
        field(t("send.min_coming"), numberInput("min_coming", `${p}-min-coming`, "1", "100000"), { name: "escalation.min_coming" }),
        field(t("send.coming_within"), numberInput("coming_within", `${p}-coming-within`, "5", "86400"), { name: "escalation.coming_within_seconds" }),
        field(t("send.max_rounds"), numberInput("max_rounds", `${p}-max-rounds`, "1", "10"), { name: "escalation.max_rounds" })),
      el("div", { class: "field", "data-field": "escalation.then_groups" },
        el("span", { class: "label", text: t("send.then_groups") }), thenGroups,
        el("p", { class: "field-error", role: "alert" })));

    // TETRA
    const tetraBox = el("fieldset", { class: "fieldset" }, el("legend", { text: t("send.tetra") }));
    const calloutSeverity = numberInput("callout_severity", `${p}-callout-severity`, "1", "15");
    const status = el("input", { type: "text", maxlength: "8", value: d.tetra_status, test: `${p}-tetra-status` });
    status.addEventListener("input", () => {
      d.tetra_status = status.value;
      changed();
    });
    const calloutCheck = checkbox(t("send.callout"), { checked: d.callout, test: `${p}-callout`, onchange: (e) => { d.callout = e.target.checked; changed(); } });
    const calloutField = field(t("send.callout_severity"), calloutSeverity, { name: "tetra_callout.severity", hint: t("send.callout_hint") });
    const statusField = field(t("send.tetra_status"), status, { name: "tetra_status", hint: t("send.tetra_status_hint") });
    append(tetraBox, calloutCheck, calloutField, statusField);
    function refreshTetra() {
      tetraBox.hidden = !d.channels.includes("tetra");
      calloutField.hidden = !d.callout;
      statusField.hidden = d.callout;
    }

    refreshChips();
    refreshTetra();
    const root = el("div", { class: "composer" },
      el("section", { class: "card" },
        el("h2", { text: t("send.message") }),
        field(t("send.title_label"), title, { name: "title" }),
        field(t("send.body_label"), body, { name: "body" }),
        // Templates are stored as written: only a send can seal its text.
        p === "send" ? field(t("send.seal"), sealPassword, { name: "sealed", hint: t("send.seal_hint") }) : null,
        severity,
        el("h3", { text: t("send.location") }), whereBox),
      el("section", { class: "card" }, recipients),
      el("section", { class: "card" }, channels, tetraBox),
      el("section", { class: "card" }, answers, escalation));
    root.focusTitle = () => title.focus();
    return root;
  }

  // ---------------------------------------------------------------------------
  // #/send
  // ---------------------------------------------------------------------------

  async function renderSend(page, match, query) {
    append(page, heading(t("send.title")));
    const [dir, templatesResult, sms] = await Promise.all([
      loadDirectory(),
      settle(api("GET", "/api/v1/templates")),
      loadSmsCapacity(),
    ]);
    if (!page.isConnected) return;
    const templates = templatesResult.ok ? templatesResult.value.templates : [];
    if (!templatesResult.ok) report(templatesResult.error);
    if (!S.sendDraft) S.sendDraft = newDraft();
    const wanted = query.get("template");
    if (wanted) {
      const tpl = templates.find((x) => x.name === wanted || x.id === wanted);
      if (tpl) S.sendDraft = draftFromAlert(tpl.alert);
      // Loaded once: a re-render (language change) keeps the edits.
      history.replaceState(null, "", "#/send");
    }
    const d = S.sendDraft;
    const summaryBox = el("div", { "aria-live": "polite", test: "send-summary" });
    const refreshSummary = () => replace(summaryBox, summaryBlock(d, dir, sms));
    const form = el("form", { class: "send-form", novalidate: true });
    const formError = el("div", { class: "error-box", role: "alert", hidden: true, test: "send-error" });

    const build = () => {
      const comp = composer(d, dir, { prefix: "send", onChange: refreshSummary });
      const submit = button(t("send.submit"), { type: "submit", class: "btn-primary btn-send", test: "send-submit" });
      const saveTemplate = can("manage_settings") ? button(t("send.save_template"), { class: "btn-quiet", test: "send-save-template", onclick: () => saveAsTemplate(d) }) : null;
      const clear = button(t("send.clear"), { class: "btn-quiet", test: "send-clear", onclick: () => {
        S.sendDraft = newDraft();
        navigate("#/send");
      } });
      replace(form,
        templates.length ? el("section", { class: "card templates-row" },
          el("h2", { text: t("send.templates") }),
          el("div", { class: "toggle-row" }, templates.map((tpl) => button(tpl.button || tpl.name, {
            class: `btn-template sev-edge-${(tpl.alert && tpl.alert.severity) || "info"}`,
            test: `template-${tpl.name}`,
            onclick: () => {
              Object.assign(d, draftFromAlert(tpl.alert));
              build();
              refreshSummary();
              toast(t("send.template_loaded", { name: tpl.button || tpl.name }), "info");
              form.querySelector("[data-test=send-title]").focus();
            },
          })))) : null,
        el("div", { class: "send-grid" },
          comp,
          el("aside", { class: "card summary", "aria-label": t("send.summary") },
            el("h2", { text: t("send.summary") }), summaryBox, formError, submit, el("div", { class: "inline" }, saveTemplate, clear))));
    };
    build();
    refreshSummary();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      formError.hidden = true;
      const problem = localCheck(d);
      if (problem) {
        if (!showFieldError(form, { problem })) showFormError(formError, problem.detail);
        return;
      }
      const fresh = await loadSmsCapacity();
      Object.assign(sms, fresh);
      refreshSummary();
      const ok = await confirmDialog({
        title: t("send.confirm_title"),
        details: el("div", null,
          el("p", { class: `confirm-title sev-edge-${d.severity}` }, severityBadge(d.severity), " ", el("strong", { text: d.title.trim() })),
          summaryBlock(d, dir, sms)),
        confirmLabel: t("send.confirm"),
        danger: d.severity === "critical",
        confirmTest: "send-confirm",
      });
      if (!ok) return;
      const submitButton = form.querySelector("[data-test=send-submit]");
      setBusy(submitButton, true);
      try {
        const result = await api("POST", "/api/v1/alerts", await sealedRequest(d), { headers: { "Idempotency-Key": d.key } });
        S.lastSend = { id: result.id, result };
        S.sendDraft = null;
        toast(t("send.sent", { n: fmtNum(result.recipients) }), "success");
        navigate(`#/alerts/${result.id}`);
      } catch (err) {
        if (!showFieldError(form, err)) {
          showFormError(formError, errorText(err));
          report(err);
        }
      } finally {
        setBusy(submitButton, false);
      }
    });
    append(page, form);
    if (!wanted) {
      const titleInput = form.querySelector("[data-test=send-title]");
      if (titleInput && S.renderCount > 1) titleInput.focus();
    }
  }

  function showFormError(box, text) {
    box.textContent = text;
    box.hidden = false;
  }

  /** What the browser can check before asking the server. */
  function localCheck(d) {
    if (!d.title.trim()) return { field: "title", detail: t("send.need_title") };
    if (!d.channels.length) return { field: "channels", detail: t("send.need_channel") };
    if (!recipientCount(d)) return { field: "recipients", detail: t("send.need_recipients") };
    const lat = String(d.lat).trim(), lon = String(d.lon).trim();
    if ((lat || lon) && !(Number.isFinite(Number(lat)) && Number.isFinite(Number(lon)) && lat && lon)) return { field: "location.lat", detail: t("send.location_bad") };
    return null;
  }

  function saveAsTemplate(d) {
    if (d.seal_password && d.body.trim()) {
      toast(t("send.seal_no_template"), "error");
      return;
    }
    const name = el("input", { type: "text", test: "template-name", autocapitalize: "none", spellcheck: "false" });
    const label = el("input", { type: "text", test: "template-button" });
    formDialog({
      title: t("templates.save_as"),
      test: "save-template",
      fields: [
        field(t("templates.name"), name, { name: "name", hint: t("templates.name_hint") }),
        field(t("templates.button"), label, { name: "button" }),
      ],
      onSubmit: async () => {
        const body = { name: name.value.trim(), alert: requestFromDraft(d) };
        if (label.value.trim()) body.button = label.value.trim();
        await api("POST", "/api/v1/templates", body);
        toast(t("templates.saved"), "success");
      },
    });
  }

  // ---------------------------------------------------------------------------
  // Recipients and deliveries as shown in the live view, print view and CSV
  // ---------------------------------------------------------------------------

  /** The alert's sender: a name in summaries, an actor object in the full view. */
  function actorName(actor) {
    if (!actor) return "–";
    return typeof actor === "object" ? actor.name || "–" : String(actor);
  }

  function normaliseRecipient(r) {
    return {
      id: r.id,
      name: r.name,
      via: r.via,
      user_id: r.user_id || null,
      response: r.response || null,
      deliveries: (r.deliveries || []).map((x) => ({
        channel: x.channel, state: x.state, attempts: x.attempts || 0, last_error: x.last_error || null,
        read: x.read === true || !!x.read_at, read_at: x.read_at || null,
      })),
    };
  }

  function viaText(via) {
    if (!via) return "–";
    const [kind, rest] = String(via).split(/:(.*)/s);
    if (kind === "group") return t("via.group", { name: rest });
    if (kind === "role") return t("via.role", { name: rest });
    const key = `via.${kind}`;
    return DICTIONARIES.en[key] ? t(key) : via;
  }

  function answerKind(alert, response) {
    if (!response) return "none";
    const first = alert && alert.responses && alert.responses[0];
    return response.choice === first ? "coming" : "not_coming";
  }

  function etaText(response) {
    if (!response || response.eta_minutes === null || response.eta_minutes === undefined) return "";
    const base = new Date(response.at || response.first_at || Date.now());
    const at = new Date(base.getTime() + response.eta_minutes * 60000);
    const clock = new Intl.DateTimeFormat(LOCALES[S.lang], { hour: "2-digit", minute: "2-digit" }).format(at);
    return t("live.eta_value", { m: response.eta_minutes, at: clock });
  }

  function deliveryBadge(x) {
    const text = `${t(`ch.${x.channel}`)} · ${t(`ds.${x.state}`)}`;
    return el("span", {
      class: `badge ds ds-${x.state}`,
      "data-state": x.state,
      "data-channel": x.channel,
      "data-read": x.read ? "true" : null,
      title: x.last_error || (x.attempts > 1 ? tn("live.attempts", x.attempts) : null),
    }, text,
    x.read ? el("span", { class: "read-mark", "data-test": "read", text: ` ✓ ${t("ds.read")}` }) : null,
    x.last_error ? el("span", { class: "sr-only", text: ` (${x.last_error})` }) : null);
  }

  function timelineText(event) {
    const x = event.detail || {};
    switch (event.kind) {
      case "created":
        if (x.follow_up_of) return t("tl.created_follow_up", { by: x.by || "?", n: fmtNum(x.recipients || 0) });
        return t("tl.created", {
          by: x.by || "?", n: fmtNum(x.recipients || 0),
          deliveries: Object.entries(x.deliveries || {}).map(([c, n]) => `${t(`ch.${c}`)} ${fmtNum(n)}`).join(", ") || "–",
        });
      case "escalation":
        if (x.step === "next_channel") return t("tl.next_channel", { name: x.name || "?", channel: t(`ch.${x.channel}`) });
        return t("tl.more_groups", { round: x.round, coming: x.coming, wanted: x.wanted, added: x.added });
      case "response":
        return [t("tl.response", { name: x.name || "?", choice: x.choice, channel: x.channel ? t(`ch.${x.channel}`) : "" }),
          x.eta_minutes != null ? t("tl.eta", { m: x.eta_minutes }) : "", x.text ? `“${x.text}”` : ""].filter(Boolean).join(" · ");
      case "note":
        return t("tl.note", { from: x.from || "?", channel: x.channel ? t(`ch.${x.channel}`) : "", text: x.text || "" });
      case "cancelled":
        return x.all_clear ? t("tl.cancelled_all_clear", { by: x.by || "?" }) : t("tl.cancelled", { by: x.by || "?" });
      case "updated":
        return t("tl.updated", { by: x.by || "?", title: x.title || "" });
      case "trigger_merged":
        return t("tl.merged", { by: x.by || "?", template: x.template || "" });
      case "tetra_group_sent":
        return t("tl.group_sent", { gssi: x.gssi, radio: x.radio || "?" });
      default:
        return `${event.kind}: ${Object.entries(x).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ")}`;
    }
  }

  function timelineList(events) {
    if (!events.length) return el("p", { class: "muted", text: t("live.timeline_empty") });
    return el("ol", { class: "timeline", test: "timeline" }, events.map((e) => el("li", { "data-kind": e.kind },
      el("time", { datetime: e.at, text: fmtTime(e.at) }),
      el("span", { class: `tl-kind tl-${e.kind}`, text: t(`tlk.${e.kind}`) === `tlk.${e.kind}` ? e.kind : t(`tlk.${e.kind}`) }),
      el("span", { class: "tl-text", text: timelineText(e) }))));
  }

  async function loadUsernames() {
    const map = new Map();
    if (!can("read_directory")) return map;
    const r = await settle(api("GET", "/api/v1/users"));
    if (r.ok) for (const u of r.value.users) map.set(u.id, u.username);
    return map;
  }

  // ---------------------------------------------------------------------------
  // #/alerts/{id}: the live view
  // ---------------------------------------------------------------------------

  const ROW_LIMIT = 1000;

  async function renderLive(page, match) {
    const id = match[1];
    const [view, usernames] = await Promise.all([api("GET", `/api/v1/alerts/${enc(id)}`), loadUsernames()]);
    if (!page.isConnected) return;
    const st = {
      alert: view.alert,
      totals: view.totals,
      recipients: new Map(),
      timeline: view.timeline || [],
      filter: "all",
      search: "",
      rows: new Map(),
    };
    for (const r of view.recipients || []) st.recipients.set(r.id, normaliseRecipient(r));

    const head = el("div", { class: "live-head" });
    const counters = el("section", { class: "counters", "aria-live": "polite", "aria-label": t("live.counters") });
    const deliveryLine = el("p", { class: "delivery-line", test: "live-deliveries" });
    const conn = el("span", { class: "conn", role: "status", test: "live-connection" });
    const tbody = el("tbody");
    const rowNote = el("p", { class: "hint" });
    const timelineBox = el("div");

    const rowKey = (r) => (r.user_id && usernames.get(r.user_id)) || r.name;
    const matches = (r) => {
      if (st.search && !`${r.name} ${rowKey(r)}`.toLowerCase().includes(st.search)) return false;
      const kind = answerKind(st.alert, r.response);
      switch (st.filter) {
        case "no_answer": return kind === "none";
        case "coming": return kind === "coming";
        case "not_coming": return kind === "not_coming";
        case "failed": return r.deliveries.some((x) => x.state === "failed");
        case "unreached": return !r.deliveries.some((x) => x.state === "sent" || x.state === "delivered");
        default: return true;
      }
    };
    const rowCells = (r) => {
      const kind = answerKind(st.alert, r.response);
      return [
        el("td", { class: "name" }, el("strong", { text: r.name })),
        el("td", { text: viaText(r.via) }),
        el("td", { class: "badges" }, r.deliveries.length ? r.deliveries.map(deliveryBadge) : el("span", { class: "muted", text: t("live.no_channel") })),
        el("td", { test: "answer", "data-answer": kind, class: `answer ans-${kind}` },
          kind === "none" ? el("span", { class: "muted", text: t("live.no_answer_short") }) : [
            el("span", { class: "ans-icon", "aria-hidden": "true", text: kind === "coming" ? "✔ " : "✖ " }),
            el("strong", { text: r.response.choice })],
          r.response && r.response.text ? el("div", { class: "answer-text", text: `“${r.response.text}”` }) : null),
        el("td", { test: "eta", text: etaText(r.response) }),
      ];
    };
    const makeRow = (r) => el("tr", { test: `live-row-${rowKey(r)}`, "data-recipient": r.id, "data-answer": answerKind(st.alert, r.response) }, rowCells(r));
    const renderRows = () => {
      st.rows.clear();
      const all = [...st.recipients.values()].filter(matches);
      const shown = all.slice(0, ROW_LIMIT);
      replace(tbody, shown.length ? shown.map((r) => {
        const tr = makeRow(r);
        st.rows.set(r.id, tr);
        return tr;
      }) : emptyRow(5, t("live.no_rows")));
      rowNote.textContent = all.length > ROW_LIMIT ? t("live.rows_capped", { shown: fmtNum(ROW_LIMIT), all: fmtNum(all.length) }) : "";
    };
    let refilter = null;
    const updateRows = (changedIds) => {
      for (const rid of changedIds) {
        const r = st.recipients.get(rid);
        const tr = st.rows.get(rid);
        if (tr) {
          replace(tr, rowCells(r));
          tr.setAttribute("data-answer", answerKind(st.alert, r.response));
          tr.classList.remove("flash");
          void tr.offsetWidth;
          tr.classList.add("flash");
        }
      }
      const needFull = st.filter !== "all" || st.search || changedIds.some((rid) => !st.rows.has(rid));
      if (needFull) {
        clearTimeout(refilter);
        refilter = setTimeout(renderRows, 400);
      }
    };

    const counter = (key, value, cls, extra) => el("div", { class: `counter ${cls}` },
      el("span", { class: "counter-label", text: t(`live.${key}`) }),
      el("span", { class: "counter-value" },
        el("span", { class: "counter-number", test: `live-${key}`, text: fmtNum(value) }),
        extra ? el("span", { class: "counter-extra", text: extra }) : null));
    const renderCounters = () => {
      const x = st.totals || {};
      replace(counters,
        counter("reached", x.reached || 0, "c-reached", t("live.of", { n: fmtNum(x.recipients || 0) })),
        counter("coming", x.coming || 0, "c-coming"),
        counter("not-coming", x.not_coming || 0, "c-not-coming"),
        counter("no-answer", x.no_answer || 0, "c-no-answer"));
      const ds = x.deliveries || {};
      replace(deliveryLine, el("span", { class: "muted", text: `${t("live.deliveries")}: ` }),
        DELIVERY_STATES.filter((s) => ds[s]).map((s) => [badge(`${t(`ds.${s}`)} ${fmtNum(ds[s])}`, `ds ds-${s}`, { "data-state": s }), " "]));
    };

    const renderHead = () => {
      const a = st.alert;
      const active = a.state === "active";
      const sent = S.lastSend && S.lastSend.id === id ? S.lastSend.result : null;
      replace(head,
        el("div", { class: `live-title sev-edge-${a.severity}` },
          el("div", { class: "title-line" }, severityBadge(a.severity), " ",
            badge(t(`state.${a.state}`), `state-${a.state}`, { test: "live-state" })),
          heading(a.title),
          a.body ? el("p", { class: "alert-body", text: a.body }) : null,
          a.sealed ? el("p", { class: "alert-body muted", test: "live-sealed", text: t("live.sealed") }) : null,
          a.location ? el("p", { class: "muted", test: "live-location", text: t("live.location", { place: [a.location.label, `${a.location.lat}, ${a.location.lon}`].filter(Boolean).join(" · ") }) }) : null,
          el("p", { class: "muted" }, t("live.sent_by", { by: actorName(a.created_by), at: fmtTime(a.created_at) }), " · ", conn)),
        sent ? el("div", { class: "notice", role: "status", test: "send-result" },
          t("live.accepted", { n: fmtNum(sent.recipients) }), " ",
          Object.entries(sent.deliveries || {}).map(([c, n]) => `${t(`ch.${c}`)} ${fmtNum(n)}`).join(", "),
          sent.unreachable ? el("strong", { class: "warn-text", text: ` · ${tn("send.unreachable", sent.unreachable)}` }) : null,
          sent.duplicate ? ` · ${t("live.duplicate")}` : null) : null,
        el("div", { class: "actions no-print" },
          active ? button(t("live.cancel"), { class: "btn-danger", test: "cancel-alert", onclick: () => cancelAlert(false) }) : null,
          active ? button(t("live.all_clear"), { class: "btn-primary", test: "all-clear-alert", onclick: () => cancelAlert(true) }) : null,
          active ? button(t("live.update"), { test: "update-alert", onclick: updateAlert }) : null,
          button(t("history.csv"), { test: "export-csv", onclick: (e) => exportCsv(id, e.currentTarget) }),
          el("a", { class: "btn", href: `#/alerts/${id}/print`, test: "print-alert", text: t("history.print") })));
    };

    async function cancelAlert(allClear) {
      const ok = await confirmDialog({
        title: allClear ? t("live.all_clear_title") : t("live.cancel_title"),
        message: allClear ? t("live.all_clear_text") : t("live.cancel_text"),
        confirmLabel: allClear ? t("live.all_clear_confirm") : t("live.cancel_confirm"),
        danger: !allClear,
        confirmTest: allClear ? "all-clear-confirm" : "cancel-confirm",
        cancelLabel: t("live.keep"),
      });
      if (!ok) return;
      try {
        const result = await api("POST", `/api/v1/alerts/${enc(id)}/cancel?all_clear=${allClear}`);
        st.alert = Object.assign({}, st.alert, result);
        renderHead();
        const link = result.all_clear ? el("a", { href: `#/alerts/${result.all_clear}`, text: t("live.open_all_clear") }) : null;
        toast(allClear ? t("live.all_clear_sent") : t("live.cancelled"), "success", { link });
        scheduleTimeline(0);
      } catch (err) {
        report(err);
      }
    }

    function updateAlert() {
      const titleInput = el("input", { type: "text", maxlength: "200", value: st.alert.title, test: "update-title" });
      const bodyInput = el("textarea", { rows: "4", maxlength: "4000", test: "update-body" });
      bodyInput.value = st.alert.body || "";
      formDialog({
        title: t("live.update_title"),
        test: "update-dialog",
        submitLabel: t("live.update_send"),
        fields: [el("p", { class: "hint", text: t("live.update_hint") }),
          field(t("send.title_label"), titleInput, { name: "title" }),
          field(t("send.body_label"), bodyInput, { name: "body" })],
        onSubmit: async () => {
          const result = await api("PATCH", `/api/v1/alerts/${enc(id)}`, { title: titleInput.value, body: bodyInput.value });
          st.alert = Object.assign({}, st.alert, result);
          renderHead();
          toast(t("live.update_sent"), "success");
          scheduleTimeline(0);
        },
      });
    }

    let timelineTimer = null;
    let timelineAt = 0;
    function scheduleTimeline(delay) {
      if (timelineTimer) return;
      const wait = delay === 0 ? 300 : Math.max(0, 5000 - (Date.now() - timelineAt));
      timelineTimer = setTimeout(async () => {
        timelineTimer = null;
        timelineAt = Date.now();
        const r = await settle(api("GET", `/api/v1/alerts/${enc(id)}`));
        if (!r.ok) return;
        st.timeline = r.value.timeline || [];
        replace(timelineBox, timelineList(st.timeline));
      }, wait);
    }

    // Live updates
    let source = null;
    let retry = null;
    const setConn = (key) => {
      conn.className = `conn conn-${key}`;
      conn.textContent = t(`live.conn_${key}`);
    };
    const apply = (data) => {
      const oldState = st.alert.state;
      if (data.alert) st.alert = Object.assign({}, st.alert, data.alert);
      if (data.totals) st.totals = data.totals;
      const changedIds = [];
      for (const r of data.recipients || []) {
        st.recipients.set(r.id, normaliseRecipient(r));
        changedIds.push(r.id);
      }
      renderCounters();
      if (st.alert.state !== oldState) renderHead();
      updateRows(changedIds);
      if (changedIds.length || st.alert.state !== oldState) scheduleTimeline();
    };
    const connect = () => {
      if (!page.isConnected) return;
      source = new EventSource(`/api/v1/alerts/${enc(id)}/events`);
      source.addEventListener("open", () => setConn("live"));
      source.addEventListener("snapshot", (e) => apply(JSON.parse(e.data)));
      source.addEventListener("update", (e) => apply(JSON.parse(e.data)));
      source.addEventListener("error", () => {
        if (source.readyState === EventSource.CLOSED) {
          setConn("lost");
          source.close();
          api("GET", "/api/v1/me").then(() => {
            retry = setTimeout(connect, 5000);
          }, (err) => report(err));
        } else {
          setConn("reconnecting");
        }
      });
    };
    onCleanup(() => {
      if (source) source.close();
      clearTimeout(retry);
      clearTimeout(timelineTimer);
      clearTimeout(refilter);
    });

    const filterSelect = select([
      ["all", t("live.f_all")], ["no_answer", t("live.f_no_answer")], ["coming", t("live.f_coming")],
      ["not_coming", t("live.f_not_coming")], ["unreached", t("live.f_unreached")], ["failed", t("live.f_failed")],
    ], st.filter, { test: "live-filter" });
    filterSelect.addEventListener("change", () => {
      st.filter = filterSelect.value;
      renderRows();
    });
    const searchInput = el("input", { type: "search", test: "live-search" });
    searchInput.addEventListener("input", () => {
      st.search = searchInput.value.trim().toLowerCase();
      clearTimeout(refilter);
      refilter = setTimeout(renderRows, 200);
    });

    setConn("connecting");
    renderHead();
    renderCounters();
    renderRows();
    replace(timelineBox, timelineList(st.timeline));
    append(page, head, counters, deliveryLine,
      el("section", { class: "card" },
        el("div", { class: "table-tools" },
          el("h2", { text: t("live.recipients") }),
          field(t("live.filter"), filterSelect),
          field(t("live.search"), searchInput)),
        el("div", { class: "table-wrap" },
          el("table", { class: "table live-table", test: "live-table" },
            el("caption", { class: "sr-only", text: t("live.recipients") }),
            el("thead", null, el("tr", null, [t("live.name"), t("live.via"), t("live.deliveries"), t("live.answer"), t("live.eta")].map((h) => el("th", { scope: "col", text: h })))),
            tbody)),
        rowNote),
      el("section", { class: "card" }, el("h2", { text: t("live.timeline") }), timelineBox));
    connect();
  }

  // ---------------------------------------------------------------------------
  // #/alerts: history
  // ---------------------------------------------------------------------------

  async function renderHistory(page) {
    append(page, heading(t("history.title")));
    const search = el("input", { type: "search", test: "history-search" });
    const severity = select([["", t("common.any")], ...SEVERITIES.map((s) => [s, t(`sev.${s}`)])], "", { test: "history-severity" });
    const stateSel = select([["", t("common.any")], ["active", t("state.active")], ["cancelled", t("state.cancelled")]], "", { test: "history-state" });
    const from = el("input", { type: "date", test: "history-from" });
    const to = el("input", { type: "date", test: "history-to" });
    const tbody = el("tbody");
    const count = el("p", { class: "hint", role: "status" });
    let alerts = [];

    const dayOf = (iso) => {
      const d = new Date(iso);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    };
    const render = () => {
      const q = search.value.trim().toLowerCase();
      const list = alerts.filter((a) => (!q || a.title.toLowerCase().includes(q)) &&
        (!severity.value || a.severity === severity.value) &&
        (!stateSel.value || a.state === stateSel.value) &&
        (!from.value || dayOf(a.created_at) >= from.value) &&
        (!to.value || dayOf(a.created_at) <= to.value));
      replace(tbody, list.length ? list.map((a) => el("tr", { test: `alert-row-${a.id}`, class: `sev-row-${a.severity}` },
        el("td", { text: fmtTime(a.created_at) }),
        el("td", null, severityBadge(a.severity)),
        el("td", null, el("a", { href: `#/alerts/${a.id}`, text: a.title })),
        el("td", null, badge(t(`state.${a.state}`), `state-${a.state}`)),
        el("td", { text: actorName(a.created_by) }),
        el("td", { class: "actions-cell" },
          button(t("history.csv"), { class: "btn-small", test: `csv-${a.id}`, onclick: (e) => exportCsv(a.id, e.currentTarget) }),
          el("a", { class: "btn btn-small", href: `#/alerts/${a.id}/print`, text: t("history.print") })))) : emptyRow(6, t("history.none")));
      count.textContent = t("history.count", { n: fmtNum(list.length), all: fmtNum(alerts.length) });
    };
    for (const input of [search, severity, stateSel, from, to]) input.addEventListener("input", render);
    const load = async () => {
      const data = await api("GET", "/api/v1/alerts?limit=500");
      alerts = data.alerts || [];
      render();
    };
    append(page,
      el("form", { class: "filters card", onsubmit: (e) => e.preventDefault() },
        field(t("history.search"), search),
        field(t("history.severity"), severity),
        field(t("history.state"), stateSel),
        field(t("history.from"), from),
        field(t("history.to"), to),
        el("div", { class: "field field-button" }, button(t("common.refresh"), { test: "history-refresh", onclick: () => load().catch(report) }))),
      count,
      el("div", { class: "table-wrap" }, el("table", { class: "table", test: "alerts-table" },
        el("caption", { class: "sr-only", text: t("history.title") }),
        el("thead", null, el("tr", null, [t("history.time"), t("history.severity"), t("history.alert"), t("history.state"), t("history.by"), ""].map((h) => el("th", { scope: "col", text: h })))),
        tbody)));
    await load();
  }

  // ---------------------------------------------------------------------------
  // CSV export and the print view
  // ---------------------------------------------------------------------------

  function csvCell(value) {
    let s = value === null || value === undefined ? "" : String(value);
    // A cell a spreadsheet would run as a formula is made plain text; phone numbers stay as they are.
    if (/^[=@\t\r]/.test(s) || (/^[+-]/.test(s) && !/^[+-]?\d[\d ]*$/.test(s))) s = `'${s}`;
    if (/[",;\n\r]/.test(s)) s = `"${s.replace(/"/g, '""')}"`;
    return s;
  }

  function buildCsv(view, usernames) {
    const a = view.alert;
    const lines = [];
    const row = (...cells) => lines.push(cells.map(csvCell).join(","));
    row(t("csv.alert"), a.title);
    row(t("history.severity"), t(`sev.${a.severity}`));
    row(t("history.time"), a.created_at);
    row(t("history.state"), t(`state.${a.state}`));
    row(t("history.by"), actorName(a.created_by));
    lines.push("");
    row(t("csv.recipient"), t("users.username"), t("live.via"), t("csv.channel"), t("csv.state"), t("csv.attempts"), t("csv.error"), t("csv.read_at"), t("live.answer"), t("live.eta"), t("csv.answer_text"), t("csv.answered_at"));
    for (const raw of view.recipients || []) {
      const r = normaliseRecipient(raw);
      const resp = r.response || {};
      const base = [r.name, (r.user_id && usernames.get(r.user_id)) || "", viaText(r.via)];
      const tail = [resp.choice || "", resp.eta_minutes != null ? resp.eta_minutes : "", resp.text || "", resp.at || ""];
      if (!r.deliveries.length) row(...base, "", "", "", "", "", ...tail);
      for (const x of r.deliveries) row(...base, t(`ch.${x.channel}`), t(`ds.${x.state}`), x.attempts, x.last_error || "", x.read_at || "", ...tail);
    }
    lines.push("");
    row(t("live.timeline"));
    row(t("history.time"), t("csv.event"), t("csv.detail"));
    for (const e of view.timeline || []) row(e.at, e.kind, timelineText(e));
    return lines.join("\r\n") + "\r\n";
  }

  function download(filename, text) {
    const content = `\uFEFF${text}`;
    let href;
    let objectUrl = null;
    if (content.length < 1000000) {
      href = `data:text/csv;charset=utf-8,${encodeURIComponent(content)}`;
    } else {
      objectUrl = URL.createObjectURL(new Blob([content], { type: "text/csv;charset=utf-8" }));
      href = objectUrl;
    }
    const link = el("a", { href, download: filename, class: "sr-only", test: "csv-download" });
    document.body.append(link);
    link.click();
    setTimeout(() => {
      link.remove();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    }, 10000);
  }

  async function exportCsv(id, trigger) {
    setBusy(trigger, true);
    try {
      const [view, usernames] = await Promise.all([api("GET", `/api/v1/alerts/${enc(id)}?for=export`), loadUsernames()]);
      const day = String(view.alert.created_at || "").slice(0, 10);
      download(`tocsin-${day}-${id}.csv`, buildCsv(view, usernames));
    } catch (err) {
      report(err);
    } finally {
      setBusy(trigger, false);
    }
  }

  async function renderPrint(page, match, query) {
    const id = match[1];
    const view = await api("GET", `/api/v1/alerts/${enc(id)}?for=print`);
    const a = view.alert;
    const x = view.totals || {};
    const recipients = (view.recipients || []).map(normaliseRecipient);
    append(page,
      el("div", { class: "actions no-print" },
        button(t("history.print"), { class: "btn-primary", test: "print-now", onclick: () => window.print() }),
        el("a", { class: "btn", href: `#/alerts/${id}`, text: t("print.back") })),
      el("div", { class: `print-head sev-edge-${a.severity}` },
        el("p", { class: "print-org", text: `${t("app.title")} · ${(S.me && S.me.org && S.me.org.name) || ""}` }),
        el("p", null, severityBadge(a.severity), " ", badge(t(`state.${a.state}`), `state-${a.state}`)),
        heading(a.title),
        a.body ? el("p", { class: "alert-body", text: a.body }) : null,
        el("p", { class: "muted", text: t("live.sent_by", { by: actorName(a.created_by), at: fmtTime(a.created_at) }) })),
      el("dl", { class: "facts print-totals" },
        [["live.reached", `${fmtNum(x.reached)} / ${fmtNum(x.recipients)}`], ["live.coming", fmtNum(x.coming)], ["live.not-coming", fmtNum(x.not_coming)], ["live.no-answer", fmtNum(x.no_answer)]]
          .map(([k, v]) => [el("dt", { text: t(k) }), el("dd", { text: v })])),
      el("h2", { text: t("live.timeline") }),
      timelineList(view.timeline || []),
      el("h2", { text: t("live.recipients") }),
      table([t("live.name"), t("live.via"), t("live.deliveries"), t("live.answer"), t("live.eta")],
        recipients.map((r) => el("tr", null,
          el("td", { text: r.name }),
          el("td", { text: viaText(r.via) }),
          el("td", { text: r.deliveries.map((d) => `${t(`ch.${d.channel}`)}: ${t(`ds.${d.state}`)}${d.read ? ` ✓ ${t("ds.read")}` : ""}`).join("; ") }),
          el("td", { text: r.response ? r.response.choice + (r.response.text ? ` – “${r.response.text}”` : "") : t("live.no_answer_short") }),
          el("td", { text: etaText(r.response) })))),
      el("p", { class: "hint", text: t("print.printed", { at: fmtTime(new Date().toISOString()) }) }));
    if (query.get("auto") !== "0") {
      const timer = setTimeout(() => window.print(), 400);
      onCleanup(() => clearTimeout(timer));
    }
  }

  // ---------------------------------------------------------------------------
  // #/people: users, groups, roles, CSV import
  // ---------------------------------------------------------------------------

  const PEOPLE_TABS = [
    { name: "users", allowed: () => can("read_directory") },
    { name: "groups", allowed: () => can("read_directory") },
    { name: "roles", allowed: () => can("read_directory") },
    { name: "import", allowed: () => can("manage_users") },
  ];

  async function renderPeople(page, match) {
    const tabs = PEOPLE_TABS.filter((x) => x.allowed());
    const current = tabs.find((x) => x.name === (match[1] || "users")) || tabs[0];
    append(page, heading(t("people.title")));
    if (!current) {
      append(page, el("p", { text: t("common.not_allowed") }));
      return;
    }
    page.setAttribute("data-tab", current.name);
    append(page, el("nav", { class: "tabs", "aria-label": t("people.title") }, tabs.map((x) => el("a", {
      href: `#/people/${x.name}`, test: `people-tab-${x.name}`, class: x === current ? "active" : null,
      "aria-current": x === current ? "page" : null, text: t(`people.tab_${x.name}`),
    }))));
    const body = el("div", { class: "tab-body" });
    append(page, body);
    if (current.name === "import") {
      renderImport(body);
      return;
    }
    const dir = await loadDirectory();
    if (!page.isConnected) return;
    const reload = () => route();
    if (current.name === "users") renderUsers(body, dir, reload);
    else if (current.name === "groups") renderGroups(body, dir, reload);
    else renderRoles(body, dir, reload);
  }

  function languageOptions() {
    return [["", t("users.lang_none")], ["fi", "Suomi"], ["sv", "Svenska"], ["en", "English"]];
  }

  /** The inputs of a person, for creating (with username) or editing. */
  function userInputs(dir, user, prefix) {
    const x = user || {};
    const test = (name) => (prefix ? `${prefix}-${name}` : null);
    const inputs = {
      username: el("input", { type: "text", test: test("username"), autocapitalize: "none", spellcheck: "false", autocomplete: "off" }),
      name: el("input", { type: "text", value: x.name || "", test: test("name"), autocomplete: "off" }),
      phones: el("input", { type: "text", value: (x.phones || []).join("; "), test: test("phones"), inputmode: "tel", autocomplete: "off" }),
      email: el("input", { type: "email", value: x.email || "", test: test("email"), autocomplete: "off" }),
      tetra_issi: el("input", { type: "text", inputmode: "numeric", value: x.tetra_issi != null ? String(x.tetra_issi) : "", test: test("issi") }),
      language: select(languageOptions(), x.language || "", { test: test("language") }),
    };
    inputs.channels = CHANNELS.map((c) => checkbox(t(`ch.${c}`), { checked: (x.channels || []).includes(c), value: c, test: test(`channel-${c}`) }));
    inputs.groups = dir.groups.map((g) => checkbox(g.name, { checked: !!user && (g.members || []).includes(user.id), value: g.name, test: test(`group-${g.name}`) }));
    inputs.roles = dir.roles.map((r) => checkbox(r.name, { checked: (x.roles || []).includes(r.name), value: r.name, test: test(`role-${r.name}`) }));
    const nodes = [
      user ? null : field(t("users.username"), inputs.username, { name: "username", hint: t("users.username_hint") }),
      field(t("users.name"), inputs.name, { name: "name" }),
      field(t("users.phones"), inputs.phones, { name: "phones", hint: t("users.phones_hint") }),
      el("div", { class: "grid-3" },
        field(t("users.email"), inputs.email, { name: "email" }),
        field(t("users.issi"), inputs.tetra_issi, { name: "tetra_issi" }),
        field(t("users.language"), inputs.language, { name: "language" })),
      el("fieldset", { class: "fieldset", "data-field": "channels" }, el("legend", { text: t("users.channels") }),
        el("p", { class: "hint", text: t("users.channels_hint") }), el("div", { class: "check-row" }, inputs.channels),
        el("p", { class: "field-error", role: "alert" })),
      dir.groups.length && can("manage_groups") ? el("fieldset", { class: "fieldset", "data-field": "groups" }, el("legend", { text: t("users.groups") }),
        el("div", { class: "check-row" }, inputs.groups), el("p", { class: "field-error", role: "alert" })) : null,
      can("manage_roles") ? el("fieldset", { class: "fieldset", "data-field": "roles" }, el("legend", { text: t("users.roles") }),
        el("div", { class: "check-row" }, inputs.roles), el("p", { class: "field-error", role: "alert" })) : null,
    ];
    const checked = (list) => list.filter((c) => c.input.checked).map((c) => c.input.value);
    const values = () => {
      const issi = inputs.tetra_issi.value.trim();
      return {
        name: inputs.name.value.trim(),
        phones: splitList(inputs.phones.value),
        email: inputs.email.value.trim() || null,
        tetra_issi: issi ? (/^\d+$/.test(issi) ? Number(issi) : issi) : null,
        language: inputs.language.value || null,
        channels: checked(inputs.channels),
        groups: checked(inputs.groups),
        roles: checked(inputs.roles),
      };
    };
    return { nodes, inputs, values };
  }

  function renderUsers(body, dir, reload) {
    const filter = el("input", { type: "search", test: "users-filter" });
    const tbody = el("tbody");
    const groupsOf = (u) => u.groups || dir.groups.filter((g) => (g.members || []).includes(u.id)).map((g) => g.name);
    const render = () => {
      const q = filter.value.trim().toLowerCase();
      const list = dir.users.filter((u) => !q || [u.name, u.username, u.email || "", ...(u.phones || [])].some((v) => v.toLowerCase().includes(q)));
      replace(tbody, list.length ? list.map((u) => el("tr", { test: `user-row-${u.username}` },
        el("td", null, el("strong", { text: u.name }), el("div", { class: "muted", text: u.username }),
          el("div", { class: "user-flags" },
            u.can_log_in ? null : badge(t("users.receive_only"), "b-muted"),
            u.must_change_password ? badge(t("users.must_change"), "b-warn") : null,
            u.second_factor ? badge(t("users.has_2fa"), "b-ok") : null)),
        el("td", { class: "contact" },
          (u.phones || []).map((p) => el("div", { text: p })),
          u.email ? el("div", { text: u.email }) : null,
          u.tetra_issi != null ? el("div", { text: `ISSI ${u.tetra_issi}` }) : null,
          !(u.phones || []).length && !u.email && u.tetra_issi == null ? "–" : null),
        el("td", { text: groupsOf(u).join(", ") || "–" }),
        el("td", { text: (u.roles || []).join(", ") || "–" }),
        el("td", { class: "actions-cell actions-wrap" }, can("manage_users") ? [
          button(t("common.edit"), { class: "btn-small", test: `user-edit-${u.username}`, onclick: () => editUser(u, dir, reload) }),
          button(t("users.set_password"), { class: "btn-small", test: `user-password-${u.username}`, onclick: () => resetPassword(u) }),
          u.second_factor ? button(t("users.reset_2fa"), { class: "btn-small", test: `user-2fa-${u.username}`, onclick: () => resetSecondFactor(u, reload) }) : null,
          button(t("users.end_sessions"), { class: "btn-small", test: `user-sessions-${u.username}`, onclick: () => endSessions(u) }),
          button(t("common.delete"), { class: "btn-small btn-danger-quiet", test: `user-delete-${u.username}`, onclick: () => deleteUser(u, reload) }),
        ] : null))) : emptyRow(5, t("users.none")));
    };
    filter.addEventListener("input", render);
    render();
    append(body,
      el("div", { class: "table-tools" }, el("h2", { text: tn("users.count", dir.users.length) }), field(t("common.filter"), filter)),
      el("div", { class: "table-wrap" }, el("table", { class: "table", test: "users-table" },
        el("caption", { class: "sr-only", text: t("people.tab_users") }),
        el("thead", null, el("tr", null, [t("users.name"), t("users.contact"), t("users.groups"), t("users.roles"), ""].map((h) => el("th", { scope: "col", text: h })))),
        tbody)));
    if (can("manage_users")) append(body, createUserCard(dir, reload));
  }

  function createUserCard(dir, reload) {
    const form = userInputs(dir, null, "user-create");
    const password = el("input", { type: "password", autocomplete: "new-password", test: "user-create-password" });
    const mustChange = checkbox(t("users.must_change_next"), { checked: true, test: "user-create-must-change" });
    const submit = button(t("users.create"), { type: "submit", class: "btn-primary", test: "user-create-submit" });
    const node = el("form", { class: "form", novalidate: true }, form.nodes,
      field(t("users.password_optional"), password, { name: "password", hint: t("users.password_hint") }),
      mustChange, el("div", { class: "form-actions" }, submit));
    node.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(node);
      const v = form.values();
      const body = { username: form.inputs.username.value.trim().toLowerCase(), name: v.name, phones: v.phones, channels: v.channels };
      if (v.email) body.email = v.email;
      if (v.tetra_issi !== null) body.tetra_issi = v.tetra_issi;
      if (v.language) body.language = v.language;
      if (v.groups.length) body.groups = v.groups;
      if (can("manage_roles") && v.roles.length) body.roles = v.roles;
      if (password.value) {
        body.password = password.value;
        body.must_change_password = mustChange.input.checked;
      }
      if (!body.username) return showFieldError(node, { problem: { field: "username", detail: t("common.required") } });
      if (!body.name) return showFieldError(node, { problem: { field: "name", detail: t("common.required") } });
      setBusy(submit, true);
      try {
        await api("POST", "/api/v1/users", body);
        toast(t("users.created", { name: body.name }), "success");
        reload();
      } catch (err) {
        if (!showFieldError(node, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    return card(t("users.add"), node);
  }

  function editUser(user, dir, reload) {
    const form = userInputs(dir, user, "user-edit");
    formDialog({
      title: t("users.edit_title", { name: user.name }),
      test: "user-edit",
      wide: true,
      fields: form.nodes,
      onSubmit: async () => {
        const v = form.values();
        const body = { name: v.name, phones: v.phones, email: v.email, tetra_issi: v.tetra_issi, language: v.language, channels: v.channels };
        const oldRoles = [...(user.roles || [])].sort().join();
        if (can("manage_roles") && [...v.roles].sort().join() !== oldRoles) body.roles = v.roles;
        await api("PATCH", `/api/v1/users/${enc(user.username)}`, body);
        if (can("manage_groups")) {
          for (const g of dir.groups) {
            const was = (g.members || []).includes(user.id);
            const now = v.groups.includes(g.name);
            if (was === now) continue;
            const members = now ? [...(g.members || []), user.id] : (g.members || []).filter((m) => m !== user.id);
            await api("PATCH", `/api/v1/groups/${enc(g.id)}`, { members });
          }
        }
        toast(t("common.saved"), "success");
        reload();
      },
    });
  }

  function resetPassword(user) {
    const password = el("input", { type: "password", autocomplete: "new-password", test: "reset-password" });
    const mustChange = checkbox(t("users.must_change_next"), { checked: true, test: "reset-must-change" });
    formDialog({
      title: t("users.password_title", { name: user.name }),
      test: "reset-password-dialog",
      fields: [field(t("password.new"), password, { name: "password", hint: t("users.password_hint") }), mustChange],
      onSubmit: async () => {
        await api("PATCH", `/api/v1/users/${enc(user.username)}`, { password: password.value, must_change_password: mustChange.input.checked });
        toast(t("users.password_set"), "success");
      },
    });
  }

  async function resetSecondFactor(user, reload) {
    if (!await confirmDialog({ title: t("users.reset_2fa"), message: t("users.reset_2fa_text", { name: user.name }), danger: true, confirmLabel: t("users.reset_2fa"), confirmTest: "reset-2fa-confirm" })) return;
    try {
      await api("POST", `/api/v1/users/${enc(user.username)}/reset-second-factor`);
      toast(t("users.reset_2fa_done"), "success");
      reload();
    } catch (err) {
      report(err);
    }
  }

  async function endSessions(user) {
    if (!await confirmDialog({ title: t("users.end_sessions"), message: t("users.end_sessions_text", { name: user.name }), confirmLabel: t("users.end_sessions"), confirmTest: "end-sessions-confirm" })) return;
    try {
      const result = await api("DELETE", `/api/v1/users/${enc(user.username)}/sessions`);
      toast(tn("users.sessions_ended", (result && result.ended) || 0), "success");
    } catch (err) {
      report(err);
    }
  }

  async function deleteUser(user, reload) {
    if (!await confirmDialog({ title: t("users.delete_title"), message: t("users.delete_text", { name: user.name }), danger: true, confirmLabel: t("common.delete"), confirmTest: "delete-confirm" })) return;
    try {
      await api("DELETE", `/api/v1/users/${enc(user.username)}`);
      toast(t("common.deleted"), "success");
      reload();
    } catch (err) {
      report(err);
    }
  }

  /** A text field of usernames kept in step with a checkbox per person. */
  function memberPicker(dir, initial, test) {
    const input = el("input", { type: "text", test, autocomplete: "off", autocapitalize: "none", spellcheck: "false", value: initial.join(", ") });
    const checks = dir.users.map((u) => checkbox(`${u.name} (${u.username})`, { value: u.username, checked: initial.includes(u.username) }));
    const syncChecks = () => {
      const names = new Set(splitList(input.value));
      for (const c of checks) c.input.checked = names.has(c.input.value);
    };
    for (const c of checks) {
      c.input.addEventListener("change", () => {
        const names = splitList(input.value).filter((n) => n !== c.input.value);
        if (c.input.checked) names.push(c.input.value);
        input.value = names.join(", ");
      });
    }
    input.addEventListener("input", syncChecks);
    const list = el("div", { class: "member-list" }, checks);
    return { input, list, values: () => splitList(input.value) };
  }

  function renderGroups(body, dir, reload) {
    const nameOf = (id) => {
      const u = dir.byId.get(id);
      return u ? u.name : id;
    };
    append(body,
      el("h2", { text: tn("groups.count", dir.groups.length) }),
      table([t("groups.name"), t("groups.members"), ""], dir.groups.length ? dir.groups.map((g) => el("tr", { test: `group-row-${g.name}` },
        el("td", null, el("strong", { text: g.name })),
        el("td", null, el("span", { class: "count-pill", text: fmtNum((g.members || []).length) }), " ",
          el("span", { class: "muted", text: (g.members || []).map(nameOf).join(", ") })),
        el("td", { class: "actions-cell" }, can("manage_groups") ? [
          button(t("common.edit"), { class: "btn-small", test: `group-edit-${g.name}`, onclick: () => editGroup(g, dir, reload) }),
          button(t("common.delete"), { class: "btn-small btn-danger-quiet", test: `group-delete-${g.name}`, onclick: async () => {
            if (!await confirmDialog({ title: t("groups.delete_title"), message: t("groups.delete_text", { name: g.name }), danger: true, confirmLabel: t("common.delete"), confirmTest: "delete-confirm" })) return;
            try {
              await api("DELETE", `/api/v1/groups/${enc(g.id)}`);
              toast(t("common.deleted"), "success");
              reload();
            } catch (err) {
              report(err);
            }
          } }),
        ] : null))) : emptyRow(3, t("groups.none")), { test: "groups-table" }));
    if (!can("manage_groups")) return;
    const name = el("input", { type: "text", test: "group-create-name", autocomplete: "off" });
    const picker = memberPicker(dir, [], "group-create-members");
    const submit = button(t("groups.create"), { type: "submit", class: "btn-primary", test: "group-create-submit" });
    const form = el("form", { class: "form", novalidate: true },
      field(t("groups.name"), name, { name: "name" }),
      field(t("groups.members"), picker.input, { name: "members", hint: t("groups.members_hint") }),
      dir.users.length ? el("details", { class: "more" }, el("summary", { text: t("groups.pick") }), picker.list) : null,
      el("div", { class: "form-actions" }, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (!name.value.trim()) return showFieldError(form, { problem: { field: "name", detail: t("common.required") } });
      setBusy(submit, true);
      try {
        await api("POST", "/api/v1/groups", { name: name.value.trim(), members: picker.values() });
        toast(t("groups.created", { name: name.value.trim() }), "success");
        reload();
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    append(body, card(t("groups.add"), form));
  }

  function editGroup(group, dir, reload) {
    const name = el("input", { type: "text", value: group.name, test: "group-edit-name" });
    const usernames = (group.members || []).map((id) => (dir.byId.get(id) || { username: id }).username);
    const picker = memberPicker(dir, usernames, "group-edit-members");
    formDialog({
      title: t("groups.edit_title", { name: group.name }),
      test: "group-edit",
      wide: true,
      fields: [field(t("groups.name"), name, { name: "name" }),
        field(t("groups.members"), picker.input, { name: "members", hint: t("groups.members_hint") }), picker.list],
      onSubmit: async () => {
        const body = { members: picker.values() };
        if (name.value.trim() !== group.name) body.name = name.value.trim();
        await api("PATCH", `/api/v1/groups/${enc(group.id)}`, body);
        toast(t("common.saved"), "success");
        reload();
      },
    });
  }

  function permissionChecks(selected, disabled, prefix) {
    return PERMISSIONS.map((p) => checkbox(t(`perm.${p}`), { value: p, checked: selected.includes(p), disabled, test: `${prefix}-${p}` }));
  }

  function alertGroupsInputs(dir, current, prefix) {
    const limited = checkbox(t("roles.limit_groups"), { checked: Array.isArray(current), test: `${prefix}-limit` });
    const ids = current || [];
    const checks = dir.groups.map((g) => checkbox(g.name, { value: g.id, checked: ids.includes(g.id) || ids.includes(g.name) }));
    const list = el("div", { class: "check-row" }, checks);
    const sync = () => {
      list.hidden = !limited.input.checked;
    };
    limited.input.addEventListener("change", sync);
    sync();
    return {
      nodes: el("fieldset", { class: "fieldset", "data-field": "alert_groups" }, el("legend", { text: t("roles.alert_groups") }), limited, list, el("p", { class: "field-error", role: "alert" })),
      value: () => (limited.input.checked ? checks.filter((c) => c.input.checked).map((c) => c.input.value) : null),
    };
  }

  function renderRoles(body, dir, reload) {
    const groupName = (id) => (dir.group(id) || { name: id }).name;
    append(body,
      el("h2", { text: tn("roles.count", dir.roles.length) }),
      table([t("roles.name"), t("roles.description"), t("roles.permissions"), t("roles.alert_groups"), ""], dir.roles.map((r) => el("tr", { test: `role-row-${r.name}` },
        el("td", null, el("strong", { text: r.name }), r.built_in ? el("div", { class: "hint", text: t("roles.built_in") }) : null),
        el("td", { text: r.description || "–" }),
        el("td", null, (r.permissions || []).map((p) => badge(t(`perm.${p}`), "b-perm"))),
        el("td", { text: Array.isArray(r.alert_groups) ? r.alert_groups.map(groupName).join(", ") || t("roles.no_groups") : t("roles.any_group") }),
        el("td", { class: "actions-cell" }, can("manage_roles") ? [
          button(t("common.edit"), { class: "btn-small", test: `role-edit-${r.name}`, onclick: () => editRole(r, dir, reload) }),
          r.built_in ? null : button(t("common.delete"), { class: "btn-small btn-danger-quiet", test: `role-delete-${r.name}`, onclick: async () => {
            if (!await confirmDialog({ title: t("roles.delete_title"), message: t("roles.delete_text", { name: r.name }), danger: true, confirmLabel: t("common.delete"), confirmTest: "delete-confirm" })) return;
            try {
              await api("DELETE", `/api/v1/roles/${enc(r.name)}`);
              toast(t("common.deleted"), "success");
              reload();
            } catch (err) {
              report(err);
            }
          } }),
        ] : null))), { test: "roles-table" }));
    if (!can("manage_roles")) return;
    const name = el("input", { type: "text", test: "role-create-name", autocapitalize: "none", spellcheck: "false" });
    const description = el("input", { type: "text", test: "role-create-description" });
    const perms = permissionChecks([], false, "role-create-perm");
    const groups = alertGroupsInputs(dir, null, "role-create-groups");
    const submit = button(t("roles.create"), { type: "submit", class: "btn-primary", test: "role-create-submit" });
    const form = el("form", { class: "form", novalidate: true },
      field(t("roles.name"), name, { name: "name", hint: t("users.username_hint") }),
      field(t("roles.description"), description, { name: "description" }),
      el("fieldset", { class: "fieldset", "data-field": "permissions" }, el("legend", { text: t("roles.permissions") }), el("div", { class: "check-grid" }, perms), el("p", { class: "field-error", role: "alert" })),
      groups.nodes,
      el("div", { class: "form-actions" }, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      setBusy(submit, true);
      try {
        await api("POST", "/api/v1/roles", {
          name: name.value.trim(), description: description.value.trim(),
          permissions: perms.filter((c) => c.input.checked).map((c) => c.input.value),
          alert_groups: groups.value(),
        });
        toast(t("roles.created", { name: name.value.trim() }), "success");
        reload();
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    append(body, card(t("roles.add"), form));
  }

  function editRole(role, dir, reload) {
    const description = el("input", { type: "text", value: role.description || "", test: "role-edit-description" });
    const isAdmin = role.name === "admin";
    const perms = permissionChecks(role.permissions || [], isAdmin, "role-edit-perm");
    const groups = alertGroupsInputs(dir, role.alert_groups, "role-edit-groups");
    formDialog({
      title: t("roles.edit_title", { name: role.name }),
      test: "role-edit",
      wide: true,
      fields: [field(t("roles.description"), description, { name: "description" }),
        el("fieldset", { class: "fieldset", "data-field": "permissions" }, el("legend", { text: t("roles.permissions") }),
          isAdmin ? el("p", { class: "hint", text: t("roles.admin_all") }) : null,
          el("div", { class: "check-grid" }, perms), el("p", { class: "field-error", role: "alert" })),
        groups.nodes],
      onSubmit: async () => {
        const body = { description: description.value.trim(), alert_groups: groups.value() };
        if (!isAdmin) body.permissions = perms.filter((c) => c.input.checked).map((c) => c.input.value);
        await api("PATCH", `/api/v1/roles/${enc(role.name)}`, body);
        toast(t("common.saved"), "success");
        reload();
      },
    });
  }

  function renderImport(body) {
    const text = el("textarea", { rows: "10", test: "import-csv", spellcheck: "false", class: "mono", placeholder: "username,name,phones,email,tetra_issi,groups,roles,language" });
    const file = el("input", { type: "file", accept: ".csv,text/csv,text/plain", test: "import-file" });
    const preview = button(t("import.preview"), { type: "submit", class: "btn-primary", test: "import-preview" });
    const run = button(t("import.run"), { class: "btn-primary", test: "import-run", disabled: true });
    const result = el("div", { "aria-live": "polite", test: "import-result" });
    let previewed = null;

    file.addEventListener("change", () => {
      const chosen = file.files && file.files[0];
      if (!chosen) return;
      const reader = new FileReader();
      reader.onload = () => {
        text.value = String(reader.result || "").replace(/^\uFEFF/, "");
        previewed = null;
        run.disabled = true;
      };
      reader.onerror = () => toast(t("import.read_failed"), "error");
      reader.readAsText(chosen);
    });
    text.addEventListener("input", () => {
      previewed = null;
      run.disabled = true;
    });

    const showRows = (data, dryRun) => {
      const rows = data.rows || [];
      const bad = rows.filter((r) => !r.ok).length;
      const good = rows.length - bad;
      replace(result,
        el("p", { class: bad ? "warn-text" : "ok-text", role: "status", test: "import-summary" },
          dryRun ? t("import.preview_summary", { good: fmtNum(good), bad: fmtNum(bad) }) : t("import.done_summary", { n: fmtNum(data.imported || 0), bad: fmtNum(bad) })),
        table([t("import.row"), t("users.username"), t("import.status"), t("import.errors")], rows.map((r) => el("tr", {
          test: `import-row-${r.row}`, "data-ok": r.ok ? "true" : "false", class: r.ok ? "row-ok" : "row-bad",
        },
        el("td", { text: String(r.row) }),
        el("td", { text: r.username || "–" }),
        el("td", null, r.ok ? badge(dryRun ? t("import.ok") : t("import.imported"), "b-ok") : badge(t("import.refused"), "b-bad")),
        el("td", { class: "errors" }, (r.errors || []).map((e) => el("div", { class: "error-text", text: `${e.field}: ${withoutField(e.field, e.detail)}` }))))), { test: "import-table" }));
      return good;
    };

    const form = el("form", { class: "form", novalidate: true },
      el("p", { class: "hint", text: t("import.intro") }),
      el("pre", { class: "example", text: "username,name,phones,email,tetra_issi,groups,roles,language\naino,Aino Virtanen,+358401000001;+358401000009,aino@example.org,2001001,firefighters;officers,,fi" }),
      field(t("import.file"), file),
      el("div", { class: "field", "data-field": "body" },
        el("label", { for: text.id = uid("csv"), text: t("import.text") }), text, el("p", { class: "field-error", role: "alert" })),
      el("div", { class: "form-actions" }, preview, run));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (!text.value.trim()) return showFieldError(form, { problem: { field: "body", detail: t("common.required") } });
      setBusy(preview, true);
      try {
        const data = await api("POST", "/api/v1/users/import?dry_run=true", text.value, { contentType: "text/csv; charset=utf-8" });
        const good = showRows(data, true);
        previewed = text.value;
        run.disabled = good === 0;
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(preview, false);
      }
    });
    run.addEventListener("click", async () => {
      if (previewed === null || previewed !== text.value) return;
      setBusy(run, true);
      try {
        const data = await api("POST", "/api/v1/users/import?dry_run=false", previewed, { contentType: "text/csv; charset=utf-8" });
        showRows(data, false);
        toast(t("import.done_summary", { n: fmtNum(data.imported || 0), bad: fmtNum((data.rows || []).filter((r) => !r.ok).length) }), "success");
        previewed = null;
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(run, previewed === null);
        run.disabled = previewed === null;
      }
    });
    append(body, card(t("import.title"), form), result);
  }

  // ---------------------------------------------------------------------------
  // #/templates
  // ---------------------------------------------------------------------------

  function recipientsSummary(alert, dir) {
    const r = (alert && alert.recipients) || {};
    const parts = [];
    if ((r.groups || []).length) parts.push(`${t("send.kind_group")}: ${r.groups.map((g) => (dir.group(g) || { name: g }).name).join(", ")}`);
    if ((r.users || []).length) parts.push(`${t("send.kind_person")}: ${r.users.map(dir.label).join(", ")}`);
    if ((r.roles || []).length) parts.push(`${t("send.kind_role")}: ${r.roles.join(", ")}`);
    const adHoc = (r.phones || []).length + (r.emails || []).length + (r.tetra_issi || []).length + (r.tetra_gssi || []).length;
    if (adHoc) parts.push(tn("templates.addresses", adHoc));
    return parts.join(" · ") || "–";
  }

  async function renderTemplates(page) {
    append(page, heading(t("templates.title")));
    const [data, dir] = await Promise.all([api("GET", "/api/v1/templates"), loadDirectory()]);
    if (!page.isConnected) return;
    const templates = data.templates || [];
    const editor = el("div");
    const list = templates.length ? el("div", { class: "template-grid" }, templates.map((tpl) => {
      const a = tpl.alert || {};
      return el("article", { class: `card template-card sev-edge-${a.severity || "info"}`, test: `template-card-${tpl.name}` },
        el("div", { class: "title-line" }, severityBadge(a.severity || "info"), " ", el("code", { text: tpl.name })),
        el("h2", { text: tpl.button || tpl.name }),
        el("p", { class: "alert-title", text: a.title || "" }),
        el("dl", { class: "facts small" },
          el("dt", { text: t("send.recipients") }), el("dd", { text: recipientsSummary(a, dir) }),
          el("dt", { text: t("send.channels") }), el("dd", { text: (a.channels || []).map((c) => t(`ch.${c}`)).join(", ") }),
          el("dt", { text: t("templates.merge") }), el("dd", { text: fmtDuration(tpl.merge_window_seconds || 0) }),
          tpl.button_roles && tpl.button_roles.length ? [el("dt", { text: t("templates.button_roles") }), el("dd", { text: tpl.button_roles.join(", ") })] : null,
          el("dt", { text: t("templates.last_fired") }), el("dd", null, tpl.last_fired ? el("a", { href: `#/alerts/${tpl.last_fired.alert}`, text: fmtTime(tpl.last_fired.at) }) : "–")),
        can("send_alerts") ? button(t("templates.fire"), { class: `btn-fire btn-block sev-${a.severity || "info"}`, test: `template-fire-${tpl.name}`, onclick: () => fireTemplate(tpl, dir) }) : null,
        el("div", { class: "actions" },
          can("send_alerts") ? el("a", { class: "btn btn-small", href: `#/send?template=${enc(tpl.name)}`, test: `template-use-${tpl.name}`, text: t("templates.use") }) : null,
          can("manage_settings") ? button(t("common.edit"), { class: "btn-small", test: `template-edit-${tpl.name}`, onclick: () => showTemplateEditor(editor, dir, tpl) }) : null,
          can("manage_settings") ? button(t("common.delete"), { class: "btn-small btn-danger-quiet", test: `template-delete-${tpl.name}`, onclick: () => deleteTemplate(tpl) }) : null));
    })) : el("p", { class: "muted", text: t("templates.none") });
    append(page, list);
    if (can("manage_settings")) {
      append(page, el("div", { class: "actions" }, button(t("templates.new"), { class: "btn-primary", test: "template-new", onclick: () => showTemplateEditor(editor, dir, null) })), editor);
    }
  }

  async function fireTemplate(tpl, dir) {
    const a = tpl.alert || {};
    const ok = await confirmDialog({
      title: t("templates.fire_title", { name: tpl.button || tpl.name }),
      details: el("div", null,
        el("p", { class: `confirm-title sev-edge-${a.severity}` }, severityBadge(a.severity || "info"), " ", el("strong", { text: a.title || "" })),
        el("p", { text: recipientsSummary(a, dir) }),
        el("p", { class: "hint", text: t("templates.fire_merge", { d: fmtDuration(tpl.merge_window_seconds || 0) }) })),
      confirmLabel: t("templates.fire_confirm"),
      danger: a.severity === "critical",
      confirmTest: "template-fire-confirm",
    });
    if (!ok) return;
    try {
      const result = await api("POST", `/api/v1/oneclick/${enc(tpl.name)}`);
      toast(result.merged ? t("templates.merged") : t("send.sent", { n: fmtNum(result.recipients) }), "success");
      navigate(`#/alerts/${result.id}`);
    } catch (err) {
      report(err);
    }
  }

  async function deleteTemplate(tpl) {
    if (!await confirmDialog({ title: t("templates.delete_title"), message: t("templates.delete_text", { name: tpl.name }), danger: true, confirmLabel: t("common.delete"), confirmTest: "delete-confirm" })) return;
    try {
      await api("DELETE", `/api/v1/templates/${enc(tpl.name)}`);
      toast(t("common.deleted"), "success");
      route();
    } catch (err) {
      report(err);
    }
  }

  function showTemplateEditor(box, dir, tpl) {
    const d = tpl ? draftFromAlert(tpl.alert || {}) : newDraft();
    const name = el("input", { type: "text", value: tpl ? tpl.name : "", test: "tpl-name", disabled: !!tpl, autocapitalize: "none", spellcheck: "false" });
    const label = el("input", { type: "text", value: tpl && tpl.button ? tpl.button : "", test: "tpl-button" });
    const merge = el("input", { type: "number", min: "0", max: "86400", value: tpl ? String(tpl.merge_window_seconds) : "300", test: "tpl-merge" });
    const pressers = el("input", { type: "text", value: tpl && tpl.button_roles ? tpl.button_roles.join(", ") : "", test: "tpl-button-roles", autocapitalize: "none" });
    const submit = button(tpl ? t("common.save") : t("templates.create"), { type: "submit", class: "btn-primary", test: "tpl-save" });
    const form = el("form", { class: "form", novalidate: true },
      el("section", { class: "card" },
        el("h2", { text: tpl ? t("templates.edit_title", { name: tpl.name }) : t("templates.new") }),
        el("div", { class: "grid-3" },
          field(t("templates.name"), name, { name: "name", hint: t("templates.name_hint") }),
          field(t("templates.button"), label, { name: "button" }),
          field(t("templates.merge_seconds"), merge, { name: "merge_window_seconds", hint: t("templates.merge_hint") })),
        field(t("templates.button_roles"), pressers, { name: "button_roles", hint: t("templates.button_roles_hint") })),
      composer(d, dir, { prefix: "tpl" }),
      el("div", { class: "form-actions" }, button(t("common.cancel"), { onclick: () => replace(box) }), submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = { alert: requestFromDraft(d), merge_window_seconds: Number(merge.value || 0) };
      body.button = label.value.trim() || null;
      body.button_roles = pressers.value.split(",").map((r) => r.trim()).filter(Boolean);
      setBusy(submit, true);
      try {
        if (tpl) {
          await api("PATCH", `/api/v1/templates/${enc(tpl.name)}`, body);
        } else {
          body.name = name.value.trim();
          if (!body.button) delete body.button;
          await api("POST", "/api/v1/templates", body);
        }
        toast(t("templates.saved"), "success");
        route();
      } catch (err) {
        const p = err.problem;
        const local = p && p.field && p.field.startsWith("alert.") ? { problem: Object.assign({}, p, { field: p.field.slice(6) }) } : err;
        if (!showFieldError(form, local)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    replace(box, form);
    (tpl ? label : name).focus();
    form.scrollIntoView({ block: "start" });
  }

  // ---------------------------------------------------------------------------
  // #/rules: inbound alarm rules, their test, SMS triggers
  // ---------------------------------------------------------------------------

  async function renderRules(page) {
    append(page, heading(t("rules.title")));
    const [settingsData, templatesData] = await Promise.all([api("GET", "/api/v1/settings"), settle(api("GET", "/api/v1/templates"))]);
    if (!page.isConnected) return;
    const settings = settingsData.settings;
    const templateNames = templatesData.ok ? templatesData.value.templates.map((x) => x.name) : [];
    append(page, tetraRulesCard(settings.tetra_rules || [], templateNames), ruleTestCard(), smsTriggersCard(settings.sms_triggers || [], templateNames));
  }

  function tetraRulesCard(initial, templateNames) {
    const rules = initial.map((r) => ({ name: r.name, from: (r.from || []).join(", "), mode: r.status ? "status" : "pattern", status: r.status || "", pattern: r.pattern || "", template: r.template }));
    const list = el("div", { class: "rule-list" });
    const form = el("form", { class: "form", novalidate: true });
    const render = () => {
      replace(list, rules.length ? rules.map((r, i) => {
        const input = (key, attrs) => {
          const node = el("input", Object.assign({ type: "text", value: r[key] }, attrs));
          node.addEventListener("input", () => {
            r[key] = node.value;
          });
          return node;
        };
        const mode = select([["pattern", t("rules.mode_pattern")], ["status", t("rules.mode_status")]], r.mode, { test: `rule-${i}-mode` });
        const statusField = field(t("rules.status"), input("status", { test: `rule-${i}-status` }), { name: `tetra_rules[${i}].status` });
        const patternField = field(t("rules.pattern"), input("pattern", { test: `rule-${i}-pattern`, class: "mono", spellcheck: "false" }), { name: `tetra_rules[${i}].pattern`, hint: t("rules.pattern_hint") });
        const sync = () => {
          statusField.hidden = r.mode !== "status";
          patternField.hidden = r.mode !== "pattern";
        };
        mode.addEventListener("change", () => {
          r.mode = mode.value;
          sync();
        });
        sync();
        const template = select([["", "–"], ...templateNames.map((n) => [n, n])], r.template, { test: `rule-${i}-template` });
        template.addEventListener("change", () => {
          r.template = template.value;
        });
        const move = (delta) => {
          const j = i + delta;
          if (j < 0 || j >= rules.length) return;
          [rules[i], rules[j]] = [rules[j], rules[i]];
          render();
        };
        return el("fieldset", { class: "fieldset rule", "data-field": `tetra_rules[${i}]`, test: `rule-${i}` },
          el("legend", { text: t("rules.rule_n", { n: i + 1 }) }),
          el("p", { class: "field-error", role: "alert" }),
          el("div", { class: "grid-3" },
            field(t("rules.name"), input("name", { test: `rule-${i}-name` }), { name: `tetra_rules[${i}].name` }),
            field(t("rules.from"), input("from", { test: `rule-${i}-from`, inputmode: "numeric" }), { name: `tetra_rules[${i}].from`, hint: t("rules.from_hint") }),
            field(t("rules.template"), template, { name: `tetra_rules[${i}].template` })),
          el("div", { class: "grid-2" }, field(t("rules.match"), mode), statusField, patternField),
          el("div", { class: "inline" },
            button("↑", { class: "btn-small", ariaLabel: t("rules.up"), disabled: i === 0, onclick: () => move(-1) }),
            button("↓", { class: "btn-small", ariaLabel: t("rules.down"), disabled: i === rules.length - 1, onclick: () => move(1) }),
            button(t("common.remove"), { class: "btn-small btn-danger-quiet", test: `rule-${i}-remove`, onclick: () => {
              rules.splice(i, 1);
              render();
            } })));
      }) : el("p", { class: "muted", text: t("rules.none") }));
    };
    render();
    const submit = button(t("rules.save"), { type: "submit", class: "btn-primary", test: "rules-save" });
    append(form, el("p", { class: "hint", text: t("rules.intro") }), list,
      el("div", { class: "form-actions" },
        button(t("rules.add"), { test: "rule-add", onclick: () => {
          rules.push({ name: "", from: "", mode: "pattern", status: "", pattern: "", template: templateNames[0] || "" });
          render();
          const inputs = list.querySelectorAll("fieldset.rule");
          const last = inputs[inputs.length - 1];
          if (last) last.querySelector("input").focus();
        } }),
        submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = rules.map((r) => {
        const out = { name: r.name.trim(), from: splitList(r.from).map((x) => (/^\d+$/.test(x) ? Number(x) : x)), template: r.template };
        if (r.mode === "status") out.status = r.status.trim() || null;
        else out.pattern = r.pattern || null;
        return out;
      });
      setBusy(submit, true);
      try {
        await api("PATCH", "/api/v1/settings", { tetra_rules: body });
        toast(t("common.saved"), "success");
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    return card(t("rules.tetra"), form);
  }

  function ruleTestCard() {
    const from = el("input", { type: "text", inputmode: "numeric", test: "rule-test-from", placeholder: "4711000" });
    const mode = select([["text", t("rules.test_text")], ["status", t("rules.mode_status")]], "text", { test: "rule-test-mode" });
    const text = el("input", { type: "text", test: "rule-test-text", placeholder: "ALARM B3 Hauptstr 5 Brand" });
    const status = el("input", { type: "text", test: "rule-test-status", placeholder: "3" });
    const textField = field(t("rules.test_text"), text, { name: "text" });
    const statusField = field(t("rules.status"), status, { name: "status" });
    const sync = () => {
      textField.hidden = mode.value !== "text";
      statusField.hidden = mode.value !== "status";
    };
    mode.addEventListener("change", sync);
    sync();
    const result = el("div", { class: "test-result", "aria-live": "polite", test: "rule-test-result" });
    const submit = button(t("rules.test"), { type: "submit", class: "btn-primary", test: "rule-test-submit" });
    const form = el("form", { class: "form", novalidate: true },
      el("p", { class: "hint", text: t("rules.test_intro") }),
      el("div", { class: "grid-3" }, field(t("rules.test_from"), from, { name: "from" }), field(t("rules.match"), mode), textField, statusField),
      el("div", { class: "form-actions" }, submit), result);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (!/^\d+$/.test(from.value.trim())) return showFieldError(form, { problem: { field: "from", detail: t("rules.test_from_bad") } });
      const body = { from: Number(from.value.trim()) };
      if (mode.value === "text") body.text = text.value;
      else body.status = status.value.trim();
      setBusy(submit, true);
      try {
        const r = await api("POST", "/api/v1/settings/tetra-rules/test", body);
        const fields = Object.entries(r.fields || {});
        replace(result, r.rule
          ? [el("p", { class: "ok-text", test: "rule-test-match" }, t("rules.test_match", { rule: r.rule, template: r.template })),
            fields.length ? el("dl", { class: "facts" }, fields.map(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })])) : null]
          : el("p", { class: "warn-text", test: "rule-test-nomatch", text: t("rules.test_none") }));
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    return card(t("rules.test_title"), form);
  }

  function smsTriggersCard(initial, templateNames) {
    const triggers = initial.map((x) => ({ number: x.number, pin: "", pin_hash: x.pin_hash, templates: [...(x.templates || [])] }));
    const list = el("div");
    const render = () => {
      replace(list, triggers.length ? triggers.map((x, i) => {
        const number = el("input", { type: "tel", value: x.number, test: `trigger-${i}-number` });
        number.addEventListener("input", () => {
          x.number = number.value.trim();
        });
        const pin = el("input", { type: "password", inputmode: "numeric", autocomplete: "new-password", value: x.pin, test: `trigger-${i}-pin`, placeholder: x.pin_hash ? t("rules.pin_unchanged") : "" });
        pin.addEventListener("input", () => {
          x.pin = pin.value.trim();
        });
        const checks = templateNames.map((n) => checkbox(n, { checked: x.templates.includes(n), onchange: (e) => {
          x.templates = e.target.checked ? [...x.templates, n] : x.templates.filter((m) => m !== n);
        } }));
        return el("fieldset", { class: "fieldset", "data-field": `sms_triggers[${i}]`, test: `trigger-${i}` },
          el("legend", { text: t("rules.trigger_n", { n: i + 1 }) }),
          el("p", { class: "field-error", role: "alert" }),
          el("div", { class: "grid-2" },
            field(t("rules.number"), number, { name: `sms_triggers[${i}].number` }),
            field(t("rules.pin"), pin, { name: `sms_triggers[${i}].pin`, hint: t("rules.pin_hint") })),
          el("div", { class: "field" }, el("span", { class: "label", text: t("rules.trigger_templates") }), el("div", { class: "check-row" }, checks)),
          button(t("common.remove"), { class: "btn-small btn-danger-quiet", onclick: () => {
            triggers.splice(i, 1);
            render();
          } }));
      }) : el("p", { class: "muted", text: t("rules.no_triggers") }));
    };
    render();
    const submit = button(t("rules.save_triggers"), { type: "submit", class: "btn-primary", test: "triggers-save" });
    const form = el("form", { class: "form", novalidate: true },
      el("p", { class: "hint", text: t("rules.triggers_intro") }), list,
      el("div", { class: "form-actions" },
        button(t("rules.add_trigger"), { test: "trigger-add", onclick: () => {
          triggers.push({ number: "", pin: "", pin_hash: null, templates: [] });
          render();
        } }), submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = triggers.map((x) => {
        const out = { number: x.number, templates: x.templates };
        if (x.pin) out.pin = x.pin;
        else if (x.pin_hash) out.pin_hash = x.pin_hash;
        return out;
      });
      setBusy(submit, true);
      try {
        const saved = await api("PATCH", "/api/v1/settings", { sms_triggers: body });
        const stored = (saved.settings && saved.settings.sms_triggers) || [];
        triggers.forEach((x, i) => {
          x.pin = "";
          if (stored[i]) x.pin_hash = stored[i].pin_hash;
        });
        render();
        toast(t("common.saved"), "success");
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    return card(t("rules.triggers"), form);
  }

  // ---------------------------------------------------------------------------
  // #/hardware: devices, health, inbound messages
  // ---------------------------------------------------------------------------

  function signalText(d) {
    if (d.signal === null || d.signal === undefined) return "–";
    const bars = d.signal >= 20 ? 4 : d.signal >= 15 ? 3 : d.signal >= 10 ? 2 : d.signal >= 2 ? 1 : 0;
    return `${"▮".repeat(bars)}${"▯".repeat(4 - bars)} ${d.signal_dbm != null ? `${d.signal_dbm} dBm` : d.signal}`;
  }

  function deviceCard(d) {
    const to = el("input", { type: "text", test: `hardware-test-to-${d.name}`, placeholder: d.kind === "radio" ? "2001001" : "+358401234567" });
    const text = el("input", { type: "text", maxlength: "500", test: `hardware-test-text-${d.name}`, placeholder: t("hardware.test_default") });
    const result = el("p", { class: "test-result", role: "status", test: `hardware-test-result-${d.name}` });
    const submit = button(t("hardware.test_send"), { type: "submit", test: `hardware-test-${d.name}` });
    const form = el("form", { class: "form compact", novalidate: true },
      el("h3", { text: t("hardware.test_title") }),
      field(d.kind === "radio" ? t("hardware.test_issi") : t("hardware.test_phone"), to, { name: "to" }),
      field(t("hardware.test_text"), text, { name: "text" }),
      el("div", { class: "form-actions" }, submit), result);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (!to.value.trim()) return showFieldError(form, { problem: { field: "to", detail: t("common.required") } });
      const body = { to: to.value.trim() };
      if (text.value.trim()) body.text = text.value.trim();
      setBusy(submit, true);
      result.className = "test-result";
      result.textContent = t("hardware.test_sending");
      try {
        await api("POST", `/api/v1/devices/hardware/${enc(d.name)}/test`, body);
        result.className = "test-result ok-text";
        result.textContent = t("hardware.test_ok");
      } catch (err) {
        result.className = "test-result error-text";
        result.textContent = t("hardware.test_failed", { why: errorText(err) });
        showFieldError(form, err);
      } finally {
        setBusy(submit, false);
      }
    });
    const fact = (label, value) => [el("dt", { text: label }), el("dd", { text: value === null || value === undefined || value === "" ? "–" : String(value) })];
    return el("article", { class: `card device device-${d.state}`, test: `hardware-device-${d.name}`, "data-state": d.state },
      el("div", { class: "title-line" },
        el("h2", { text: d.name }),
        badge(t(`dev.${d.state}`), `dev-${d.state}`, { test: "device-state" }),
        badge(t(`hardware.kind_${d.kind}`) === `hardware.kind_${d.kind}` ? d.kind : t(`hardware.kind_${d.kind}`), "b-muted")),
      el("dl", { class: "facts small" },
        fact(t("hardware.model"), [d.model, d.firmware].filter(Boolean).join(" · ")),
        fact(t("hardware.port"), d.device),
        fact(t("hardware.registration"), [d.registration, d.operator].filter(Boolean).join(" · ")),
        fact(t("hardware.signal"), signalText(d)),
        fact(t("hardware.queue"), fmtNum(d.queue)),
        fact(t("hardware.sent"), fmtNum(d.sent)),
        fact(t("hardware.received"), fmtNum(d.received)),
        fact(t("hardware.avg_send"), d.avg_send_ms != null ? `${fmtNum(d.avg_send_ms)} ms` : null),
        fact(t("hardware.since"), fmtTime(d.since))),
      d.last_error ? el("p", { class: "error-text", test: "device-error" }, t("hardware.last_error", { at: fmtTime(d.last_error_at) }), " ", el("span", { text: d.last_error })) : null,
      form);
  }

  function handlingText(h) {
    if (!h) return "–";
    switch (h.kind) {
      case "response": return t("inbound.response", { choice: h.choice });
      case "note": return t("inbound.note");
      case "trigger": return t("inbound.trigger");
      case "ignored": return t("inbound.ignored", { why: h.why || "" });
      case "pending": return t("inbound.pending");
      default: return h.kind;
    }
  }

  // Each backup target: current, failing (and since when), or not reached yet.
  function backupsCard(backups) {
    const rows = (backups.targets || []).map((target) => {
      const state = target.failing_since ? "failing" : target.last_success_at ? "ok" : "waiting";
      return el("tr", { test: `backup-target-${target.name}`, "data-state": state },
        el("td", { text: target.name }),
        el("td", null, badge(t(`backup.${state}`), state === "ok" ? "b-ok" : state === "failing" ? "b-bad" : "b-muted")),
        el("td", { text: target.last_success_at ? fmtTime(target.last_success_at) : "–" }),
        el("td", { class: "wrap", text: target.failing_since ? `${t("backup.since", { at: fmtTime(target.failing_since) })} ${target.last_error || ""}` : "" }));
    });
    return el("section", { class: "card", test: "backups" },
      el("h2", { text: t("backup.title") }),
      el("p", { class: "hint", text: backups.newest ? t("backup.newest", { name: backups.newest, at: fmtTime(backups.newest_at) }) : t("backup.none") }),
      el("table", { class: "table" },
        el("thead", null, el("tr", null,
          el("th", { text: t("backup.target") }), el("th", { text: t("backup.state") }),
          el("th", { text: t("backup.last_success") }), el("th", { text: t("backup.problem") }))),
        el("tbody", null, rows)));
  }

  async function renderHardware(page) {
    append(page, heading(t("hardware.title")));
    const healthBox = el("div", { class: "health-row", "aria-live": "polite" });
    const devicesBox = el("div", { class: "device-grid" });
    const backupsBox = el("div");
    const auto = checkbox(t("hardware.auto"), { test: "hardware-auto" });
    let timer = null;
    const load = async () => {
      const [hw, ready] = await Promise.all([api("GET", "/api/v1/devices/hardware"), settle(fetch("/readyz", { cache: "no-store" }).then((r) => r.json()))]);
      if (!page.isConnected) return;
      const sms = hw.sms;
      const health = ready.ok ? ready.value : null;
      const statusKey = health ? health.status.replace(/\s+/g, "_") : "unknown";
      replace(healthBox,
        el("div", { class: `stat-card health-${statusKey}`, test: "health-status" },
          el("span", { class: "stat-label", text: t("hardware.health") }),
          el("span", { class: "stat-value", text: t(`health.${statusKey}`) }),
          health && health.checks ? el("span", { class: "hint", text: `${t("hardware.store")}: ${health.checks.store === "ok" ? t("common.ok") : health.checks.store}` }) : null),
        el("div", { class: "stat-card", test: "sms-queue" },
          el("span", { class: "stat-label", text: t("hardware.sms_queue") }),
          el("span", { class: "stat-value", text: sms ? fmtNum(sms.queued) : "–" })),
        el("div", { class: "stat-card", test: "sms-capacity" },
          el("span", { class: "stat-label", text: t("hardware.capacity") }),
          el("span", { class: "stat-value", text: sms ? t("hardware.per_minute", { n: fmtNum(sms.capacity_per_minute) }) : t("hardware.no_modems") })),
        el("div", { class: "stat-card", test: "sms-empty" },
          el("span", { class: "stat-label", text: t("hardware.to_empty") }),
          el("span", { class: "stat-value", text: !sms ? "–" : sms.estimated_seconds_to_empty == null ? t("send.no_modem") : fmtDuration(sms.estimated_seconds_to_empty) })),
        hw.outbox ? el("div", { class: "stat-card", test: "outbox" },
          el("span", { class: "stat-label", text: t("hardware.outbox") }),
          el("span", { class: "stat-value", text: fmtNum(Object.values(hw.outbox).reduce((a, b) => a + b, 0)) }),
          el("span", { class: "hint", text: Object.entries(hw.outbox).map(([c, n]) => `${c} ${fmtNum(n)}`).join(" · ") })) : null,
        hw.storage_bytes != null ? el("div", { class: "stat-card", test: "storage" },
          el("span", { class: "stat-label", text: t("hardware.storage") }),
          el("span", { class: "stat-value", text: `${(hw.storage_bytes / 1048576).toFixed(1)} MiB` })) : null);
      const devices = hw.devices || [];
      replace(devicesBox, devices.length ? devices.map(deviceCard) : el("p", { class: "muted", text: t("hardware.none") }));
      replace(backupsBox, hw.backups ? backupsCard(hw.backups) : null);
    };
    const refresh = () => load().catch(report);
    auto.input.addEventListener("change", () => {
      clearInterval(timer);
      timer = auto.input.checked ? setInterval(refresh, 30000) : null;
    });
    onCleanup(() => clearInterval(timer));
    append(page,
      el("div", { class: "actions" }, button(t("common.refresh"), { test: "hardware-refresh", onclick: refresh }), auto),
      healthBox, devicesBox, backupsBox);
    await load();
    if (can("send_alerts")) append(page, await inboundCard("/api/v1/inbound", t("inbound.title")));
    if (can("operate_appliance")) append(page, await inboundCard("/api/v1/system/inbound", t("appliance.unassigned")));
  }

  async function inboundCard(path, title) {
    const channel = select([["", t("common.any")], ...CHANNELS.map((c) => [c, t(`ch.${c}`)])], "", { test: "inbound-channel" });
    const from = el("input", { type: "text", test: "inbound-from" });
    const tbody = el("tbody");
    const load = async () => {
      const q = new URLSearchParams({ limit: "200" });
      if (channel.value) q.set("channel", channel.value);
      if (from.value.trim()) q.set("from", from.value.trim());
      const data = await api("GET", `${path}?${q}`);
      const messages = data.messages || [];
      replace(tbody, messages.length ? messages.map((m) => el("tr", { class: m.incomplete ? "row-muted" : null },
        el("td", { text: fmtTime(m.received_at) }),
        el("td", { text: t(`ch.${m.channel}`) }),
        el("td", { text: m.from }),
        el("td", { text: m.to || "–" }),
        el("td", { class: "wrap", text: m.text }),
        el("td", null, handlingText(m.handling),
          m.handling && m.handling.alert ? [" ", el("a", { href: `#/alerts/${m.handling.alert}`, text: t("inbound.open") })] : null,
          m.incomplete ? el("div", { class: "hint", text: t("inbound.incomplete") }) : null))) : emptyRow(6, t("inbound.none")));
    };
    const form = el("form", { class: "filters", novalidate: true },
      field(t("inbound.channel"), channel), field(t("inbound.from"), from),
      el("div", { class: "field field-button" }, button(t("common.search"), { type: "submit", test: "inbound-search" })));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      load().catch(report);
    });
    await load().catch(report);
    return card(title, form, el("div", { class: "table-wrap" }, el("table", { class: "table", test: "inbound-table" },
      el("caption", { class: "sr-only", text: title }),
      el("thead", null, el("tr", null, [t("inbound.time"), t("inbound.channel"), t("inbound.from"), t("inbound.to"), t("inbound.text"), t("inbound.handling")].map((h) => el("th", { scope: "col", text: h })))),
      tbody)));
  }

  // ---------------------------------------------------------------------------
  // #/appliance: the operator's organisations and the senders assigned to them
  // ---------------------------------------------------------------------------

  async function renderAppliance(page) {
    append(page, heading(t("appliance.title")), el("p", { class: "muted", text: t("appliance.intro") }));
    const list = el("div", { class: "stack" });
    const load = async () => {
      const data = await api("GET", "/api/v1/system/organisations");
      const orgs = data.organisations || [];
      replace(list, orgs.length ? orgs.map(assignmentCard) : el("p", { class: "muted", text: t("appliance.none") }));
    };
    append(page, list);
    await load();
  }

  function assignmentCard(org) {
    const numbers = el("input", { type: "text", test: `assign-sms-${org.slug}`, value: (org.assignments.sms_numbers || []).join(", ") });
    const ssis = el("input", { type: "text", test: `assign-tetra-${org.slug}`, inputmode: "numeric", value: (org.assignments.tetra_ssis || []).join(", ") });
    const form = el("form", { class: "form", novalidate: true, test: `assign-${org.slug}` },
      field(t("appliance.sms_numbers"), numbers, { name: "sms_numbers", hint: t("appliance.sms_hint") }),
      field(t("appliance.tetra_ssis"), ssis, { name: "tetra_ssis", hint: t("appliance.tetra_hint") }));
    const save = button(t("common.save"), { type: "submit", class: "btn-primary", test: `assign-save-${org.slug}` });
    append(form, el("div", { class: "actions" }, save));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const tetra = splitList(ssis.value).map((v) => (/^\d+$/.test(v) ? Number(v) : v));
      setBusy(save, true);
      try {
        const saved = await api("PUT", `/api/v1/system/assignments/${encodeURIComponent(org.slug)}`, { sms_numbers: splitList(numbers.value), tetra_ssis: tetra });
        numbers.value = saved.sms_numbers.join(", ");
        ssis.value = saved.tetra_ssis.join(", ");
        toast(t("appliance.saved", { org: org.name }), "success");
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(save, false);
      }
    });
    return card(`${org.name} (${org.slug})`, form);
  }

  // ---------------------------------------------------------------------------
  // #/access: API keys and members' devices
  // ---------------------------------------------------------------------------

  async function renderAccess(page) {
    append(page, heading(t("access.title")));
    if (can("manage_api_keys")) append(page, await apiKeysCard());
    if (can("manage_devices")) append(page, await memberDevicesCard());
  }

  async function apiKeysCard() {
    const [data, roles] = await Promise.all([api("GET", "/api/v1/apikeys"), can("read_directory") ? settle(api("GET", "/api/v1/roles")) : Promise.resolve({ ok: false })]);
    const keys = data.apikeys || [];
    const keyState = (k) => (k.revoked_at ? "revoked" : k.expires_at && new Date(k.expires_at) < new Date() ? "expired" : "active");
    const rows = keys.length ? keys.map((k) => el("tr", { test: `apikey-row-${k.id}` },
      el("td", null, el("strong", { text: k.name })),
      el("td", { text: k.role }),
      el("td", { text: fmtTime(k.created_at) }),
      el("td", { text: k.expires_at ? fmtTime(k.expires_at) : t("access.never") }),
      el("td", { text: k.last_used_at ? fmtTime(k.last_used_at) : "–" }),
      el("td", null, badge(t(`access.key_${keyState(k)}`), keyState(k) === "active" ? "b-ok" : "b-muted")),
      el("td", null, k.revoked_at ? null : button(t("access.revoke"), { class: "btn-small btn-danger-quiet", test: `apikey-revoke-${k.id}`, onclick: async () => {
        if (!await confirmDialog({ title: t("access.revoke_title"), message: t("access.revoke_text", { name: k.name }), danger: true, confirmLabel: t("access.revoke"), confirmTest: "revoke-confirm" })) return;
        try {
          await api("DELETE", `/api/v1/apikeys/${enc(k.id)}`);
          toast(t("access.revoked"), "success");
          route();
        } catch (err) {
          report(err);
        }
      } })))) : emptyRow(7, t("access.no_keys"));
    const name = el("input", { type: "text", test: "apikey-name" });
    const roleNames = roles.ok ? roles.value.roles.map((r) => r.name) : ["sender"];
    const role = select(roleNames.map((r) => [r, r]), roleNames.includes("sender") ? "sender" : roleNames[0], { test: "apikey-role" });
    const expires = el("input", { type: "number", min: "1", max: "3650", test: "apikey-expires" });
    const secretBox = el("div", { "aria-live": "polite" });
    const submit = button(t("access.create_key"), { type: "submit", class: "btn-primary", test: "apikey-create" });
    const form = el("form", { class: "form", novalidate: true },
      el("div", { class: "grid-3" },
        field(t("access.key_name"), name, { name: "name" }),
        field(t("access.key_role"), role, { name: "role" }),
        field(t("access.expires_days"), expires, { name: "expires_in_days", hint: t("access.expires_hint") })),
      el("div", { class: "form-actions" }, submit), secretBox);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = { name: name.value.trim(), role: role.value };
      if (expires.value) body.expires_in_days = Number(expires.value);
      setBusy(submit, true);
      try {
        const created = await api("POST", "/api/v1/apikeys", body);
        const secret = el("code", { class: "secret", test: "apikey-secret", text: created.key });
        replace(secretBox, el("div", { class: "notice secret-box", role: "status" },
          el("p", null, el("strong", { text: t("access.secret_once") })), secret, " ",
          button(t("access.copy"), { class: "btn-small", test: "apikey-copy", onclick: async () => {
            try {
              await navigator.clipboard.writeText(created.key);
              toast(t("access.copied"), "success");
            } catch (_) {
              const range = document.createRange();
              range.selectNodeContents(secret);
              const selection = window.getSelection();
              selection.removeAllRanges();
              selection.addRange(range);
              toast(t("access.copy_manual"), "info");
            }
          } }),
          " ", button(t("access.done"), { class: "btn-small", onclick: () => route() })));
        name.value = "";
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    return card(t("access.keys"),
      table([t("access.key_name"), t("access.key_role"), t("access.created"), t("access.expires"), t("access.last_used"), t("access.status"), ""], rows, { test: "apikeys-table" }),
      el("h3", { text: t("access.new_key") }), form);
  }

  async function memberDevicesCard() {
    const [data, dir] = await Promise.all([api("GET", "/api/v1/devices"), loadDirectory()]);
    const devices = data.devices || [];
    const who = (id) => {
      const u = dir.byId.get(id);
      return u ? `${u.name} (${u.username})` : id;
    };
    const status = (d) => (d.wipe_delivered_at ? "wiped" : d.wipe_requested_at ? "wipe_pending" : d.blocked_at ? "blocked" : "active");
    const act = async (d, action) => {
      const wipe = action === "wipe";
      if (!await confirmDialog({
        title: wipe ? t("access.wipe_title") : t("access.block_title"),
        message: t(wipe ? "access.wipe_text" : "access.block_text", { name: d.name, who: who(d.user_id) }),
        danger: true, confirmLabel: wipe ? t("access.wipe") : t("access.block"), confirmTest: `${action}-confirm`,
      })) return;
      try {
        await api("POST", `/api/v1/devices/${enc(d.id)}/${action}`);
        toast(wipe ? t("access.wipe_ordered") : t("access.blocked"), "success");
        route();
      } catch (err) {
        report(err);
      }
    };
    return card(t("access.devices"),
      table([t("access.person"), t("access.device"), t("access.platform"), t("access.first_seen"), t("access.last_seen"), t("access.status"), ""],
        devices.length ? devices.map((d) => el("tr", { test: `device-row-${d.id}` },
          el("td", { text: who(d.user_id) }),
          el("td", { class: "wrap", text: d.name }),
          el("td", { text: d.platform }),
          el("td", { text: fmtTime(d.created_at) }),
          el("td", { text: fmtTime(d.last_seen_at) }),
          el("td", null, badge(t(`access.dev_${status(d)}`), status(d) === "active" ? "b-ok" : "b-bad")),
          el("td", { class: "actions-cell" },
            d.blocked_at ? null : button(t("access.block"), { class: "btn-small", test: `device-block-${d.id}`, onclick: () => act(d, "block") }),
            d.wipe_requested_at ? null : button(t("access.wipe"), { class: "btn-small btn-danger-quiet", test: `device-wipe-${d.id}`, onclick: () => act(d, "wipe") })))) : emptyRow(7, t("access.no_devices")),
        { test: "devices-table" }));
  }

  // ---------------------------------------------------------------------------
  // #/audit
  // ---------------------------------------------------------------------------

  // The newest security findings, above the audit log.
  async function findingsCard() {
    const data = await api("GET", "/api/v1/audit?action=security.finding&limit=10");
    const findings = data.events || [];
    return el("section", { class: "card", test: "security-findings" },
      el("h2", { text: t("audit.findings") }),
      findings.length
        ? el("ul", { class: "plain-list" }, findings.map((f) => el("li", { test: `finding-${f.target}` },
          badge(t("audit.finding"), "b-bad"), " ", el("span", { class: "nowrap", text: fmtTime(f.at) }), " ", el("span", { text: f.detail || f.target }))))
        : el("p", { class: "muted", text: t("audit.no_findings") }));
  }

  async function renderAudit(page) {
    append(page, heading(t("audit.title")));
    append(page, await findingsCard());
    const action = el("input", { type: "text", test: "audit-action", placeholder: "alert.", spellcheck: "false" });
    const actor = el("input", { type: "text", test: "audit-actor", spellcheck: "false" });
    const outcome = select([["", t("common.any")], ["success", t("outcome.success")], ["failure", t("outcome.failure")], ["denied", t("outcome.denied")]], "", { test: "audit-outcome" });
    const since = el("input", { type: "datetime-local", test: "audit-since" });
    const limit = select([["100", "100"], ["500", "500"], ["1000", "1000"]], "100", { test: "audit-limit" });
    const tbody = el("tbody");
    const count = el("p", { class: "hint", role: "status" });
    const submit = button(t("common.search"), { type: "submit", class: "btn-primary", test: "audit-search" });
    const form = el("form", { class: "filters card", novalidate: true },
      field(t("audit.action"), action, { name: "action" }), field(t("audit.actor"), actor, { name: "actor" }),
      field(t("audit.outcome"), outcome, { name: "outcome" }), field(t("audit.since"), since, { name: "since" }),
      field(t("audit.limit"), limit, { name: "limit" }),
      el("div", { class: "field field-button" }, submit));
    const load = async () => {
      const q = new URLSearchParams();
      if (action.value.trim()) q.set("action", action.value.trim());
      if (actor.value.trim()) q.set("actor", actor.value.trim());
      if (outcome.value) q.set("outcome", outcome.value);
      if (since.value) {
        const at = new Date(since.value);
        if (!Number.isNaN(at.getTime())) q.set("since", at.toISOString());
      }
      q.set("limit", limit.value);
      const data = await api("GET", `/api/v1/audit?${q}`);
      const events = data.events || [];
      replace(tbody, events.length ? events.map((e) => el("tr", { class: `outcome-${e.outcome}` },
        el("td", { class: "nowrap", text: fmtTime(e.at) }),
        el("td", null, el("span", { text: e.actor ? e.actor.name : "–" }), e.actor ? el("div", { class: "hint", text: t(`actor.${e.actor.kind}`) }) : null),
        el("td", null, el("code", { text: e.action })),
        el("td", null, badge(t(`outcome.${e.outcome}`), `b-${e.outcome}`)),
        el("td", { class: "wrap", text: e.target || "–" }),
        el("td", { class: "wrap", text: e.detail || "–" }),
        el("td", { text: e.source || "–" }))) : emptyRow(7, t("audit.none")));
      count.textContent = tn("audit.count", events.length);
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      setBusy(submit, true);
      try {
        await load();
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    append(page, form, count, el("div", { class: "table-wrap" }, el("table", { class: "table", test: "audit-table" },
      el("caption", { class: "sr-only", text: t("audit.title") }),
      el("thead", null, el("tr", null, [t("audit.time"), t("audit.actor"), t("audit.action_col"), t("audit.outcome"), t("audit.target"), t("audit.detail"), t("audit.source")].map((h) => el("th", { scope: "col", text: h })))),
      tbody)));
    await load();
  }

  // ---------------------------------------------------------------------------
  // #/settings
  // ---------------------------------------------------------------------------

  /** Rows of "key → answer option" (reply codes, TETRA status replies). */
  function mapEditor(initial, prefix, keyLabel, fieldName) {
    const rows = Object.entries(initial || {}).map(([k, v]) => ({ key: k, option: String(v) }));
    const box = el("div", { class: "map-editor", test: `${prefix}-editor` });
    const render = () => {
      replace(box, rows.map((r, i) => {
        const key = el("input", { type: "text", value: r.key, maxlength: "8", test: `${prefix}-${i}-key`, "aria-label": `${keyLabel} ${i + 1}` });
        key.addEventListener("input", () => {
          r.key = key.value;
        });
        const option = select([1, 2, 3, 4, 5, 6].map((n) => [String(n), t("settings.option_n", { n })]), r.option, { test: `${prefix}-${i}-option`, "aria-label": t("settings.option") });
        option.addEventListener("change", () => {
          r.option = option.value;
        });
        return el("div", { class: "inline map-row" }, key, el("span", { "aria-hidden": "true", text: "→" }), option,
          button("×", { class: "btn-small btn-quiet", ariaLabel: t("common.remove"), onclick: () => {
            rows.splice(i, 1);
            render();
          } }));
      }), button(t("settings.add_row"), { class: "btn-small", test: `${prefix}-add`, onclick: () => {
        rows.push({ key: "", option: "1" });
        render();
        const inputs = box.querySelectorAll("input");
        inputs[inputs.length - 1].focus();
      } }));
    };
    render();
    return {
      node: el("fieldset", { class: "fieldset", "data-field": fieldName }, el("legend", { text: keyLabel }), box, el("p", { class: "field-error", role: "alert" })),
      value: () => Object.fromEntries(rows.filter((r) => r.key.trim()).map((r) => [r.key.trim(), Number(r.option)])),
    };
  }

  const SECURITY_RULES = ["failed_logins_account", "failed_logins_address", "lockout", "privilege", "api_key", "new_network",
    "personal_data_export", "device_wipe", "backup", "audit_chain", "shipping_lag"];

  // The security monitoring card of the settings page: contacts, how they
  // are told, the login thresholds and which rules are on.
  function securitySettings(sec, groupNames) {
    const contacts = el("input", { type: "text", value: (sec.contacts || []).join(", "), test: "settings-sec-contacts", autocomplete: "off" });
    const groups = groupNames.map((g) => checkbox(g, { value: g, checked: (sec.contact_groups || []).includes(g), test: `settings-sec-group-${g}` }));
    const channels = ["app", "sms", "email"].map((c) => checkbox(t(`ch.${c}`), { value: c, checked: (sec.channels || []).includes(c), test: `settings-sec-channel-${c}` }));
    const num = (value, test) => el("input", { type: "number", min: "1", max: "10000", value: value != null ? String(value) : "", test, inputmode: "numeric" });
    const perAccount = num(sec.failed_logins_per_account, "settings-sec-per-account");
    const perAddress = num(sec.failed_logins_per_address, "settings-sec-per-address");
    const windowMinutes = num(sec.window_minutes, "settings-sec-window");
    const rules = SECURITY_RULES.map((r) => checkbox(t(`settings.rule.${r}`), { value: r, checked: !(sec.rules_off || []).includes(r), test: `settings-sec-rule-${r}` }));
    const fieldset = (name, legend, boxes) => el("fieldset", { class: "fieldset", "data-field": name }, el("legend", { text: legend }),
      el("div", { class: "check-row" }, boxes), el("p", { class: "field-error", role: "alert" }));
    const node = card(t("settings.security"), el("p", { class: "hint", text: t("settings.security_hint") }),
      field(t("settings.sec_contacts"), contacts, { name: "security.contacts" }),
      groupNames.length ? fieldset("security.contact_groups", t("settings.sec_groups"), groups) : null,
      fieldset("security.channels", t("settings.sec_channels"), channels),
      el("div", { class: "grid-3" },
        field(t("settings.sec_per_account"), perAccount, { name: "security.failed_logins_per_account" }),
        field(t("settings.sec_per_address"), perAddress, { name: "security.failed_logins_per_address" }),
        field(t("settings.sec_window"), windowMinutes, { name: "security.window_minutes" })),
      fieldset("security.rules_off", t("settings.sec_rules"), rules));
    const checked = (boxes) => boxes.filter((c) => c.input.checked).map((c) => c.input.value);
    return {
      node,
      value: () => ({
        contacts: contacts.value.split(",").map((c) => c.trim()).filter(Boolean),
        contact_groups: groupNames.length ? checked(groups) : sec.contact_groups || [],
        channels: checked(channels),
        failed_logins_per_account: Number(perAccount.value),
        failed_logins_per_address: Number(perAddress.value),
        window_minutes: Number(windowMinutes.value),
        rules_off: rules.filter((c) => !c.input.checked).map((c) => c.input.value),
      }),
    };
  }

  async function renderSettings(page) {
    append(page, heading(t("settings.title")));
    const directory = (path) => (can("read_directory") ? settle(api("GET", path)) : Promise.resolve({ ok: false }));
    const [data, roles, groups] = await Promise.all([api("GET", "/api/v1/settings"), directory("/api/v1/roles"), directory("/api/v1/groups")]);
    if (!page.isConnected) return;
    const s = data.settings;
    const num = (key, test, min, max) => el("input", { type: "number", min, max, value: s[key] != null ? String(s[key]) : "", test, inputmode: "numeric" });
    const inputs = {
      session_idle_minutes: num("session_idle_minutes", "settings-idle", "1", "1440"),
      session_lifetime_hours: num("session_lifetime_hours", "settings-lifetime", "1", "720"),
      password_min_length: num("password_min_length", "settings-pw-length", "8", "128"),
      password_max_age_days: num("password_max_age_days", "settings-pw-age", "1", "3650"),
      max_automated_alerts_per_minute: num("max_automated_alerts_per_minute", "settings-rate", "1", "10000"),
    };
    const strength = select([0, 1, 2, 3, 4].map((n) => [String(n), t(`settings.strength_${n}`)]), String(s.password_min_strength), { test: "settings-pw-strength" });
    const language = select([["en", "English"], ["fi", "Suomi"], ["sv", "Svenska"]], s.language || "en", { test: "settings-language" });
    const roleNames = roles.ok ? roles.value.roles.map((r) => r.name) : s.require_second_factor_for || [];
    const twoFactor = roleNames.map((r) => checkbox(r, { value: r, checked: (s.require_second_factor_for || []).includes(r), test: `settings-2fa-${r}` }));
    const replyCodes = mapEditor(s.reply_codes, "reply-code", t("settings.reply_codes"), "reply_codes");
    const statusReplies = mapEditor(s.tetra_status_replies, "status-reply", t("settings.status_replies"), "tetra_status_replies");
    const security = securitySettings(s.security || {}, groups.ok ? groups.value.groups.map((g) => g.name) : []);
    const submit = button(t("common.save"), { type: "submit", class: "btn-primary", test: "settings-save" });
    const form = el("form", { class: "form", novalidate: true },
      card(t("settings.org"), el("dl", { class: "facts" },
        el("dt", { text: t("settings.org_name") }), el("dd", { text: data.org.name }),
        el("dt", { text: t("login.org") }), el("dd", null, el("code", { text: data.org.slug }))),
        field(t("settings.language"), language, { name: "language", hint: t("settings.language_hint") })),
      card(t("settings.sessions"), el("div", { class: "grid-2" },
        field(t("settings.idle"), inputs.session_idle_minutes, { name: "session_idle_minutes", hint: t("settings.idle_hint") }),
        field(t("settings.lifetime"), inputs.session_lifetime_hours, { name: "session_lifetime_hours" }))),
      card(t("settings.passwords"), el("div", { class: "grid-3" },
        field(t("settings.pw_length"), inputs.password_min_length, { name: "password_min_length" }),
        field(t("settings.pw_strength"), strength, { name: "password_min_strength" }),
        field(t("settings.pw_age"), inputs.password_max_age_days, { name: "password_max_age_days", hint: t("settings.pw_age_hint") })),
      el("fieldset", { class: "fieldset", "data-field": "require_second_factor_for" }, el("legend", { text: t("settings.require_2fa") }),
        el("div", { class: "check-row" }, twoFactor), el("p", { class: "field-error", role: "alert" }))),
      card(t("settings.integrations"), field(t("settings.rate"), inputs.max_automated_alerts_per_minute, { name: "max_automated_alerts_per_minute", hint: t("settings.rate_hint") })),
      card(t("settings.replies"), el("p", { class: "hint", text: t("settings.replies_hint") }), el("div", { class: "grid-2" }, replyCodes.node, statusReplies.node)),
      security.node,
      el("div", { class: "form-actions sticky-actions" }, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const n = (input) => (input.value.trim() === "" ? null : Number(input.value));
      const body = {
        session_idle_minutes: n(inputs.session_idle_minutes),
        session_lifetime_hours: n(inputs.session_lifetime_hours),
        password_min_length: n(inputs.password_min_length),
        password_min_strength: Number(strength.value),
        password_max_age_days: n(inputs.password_max_age_days),
        max_automated_alerts_per_minute: n(inputs.max_automated_alerts_per_minute),
        require_second_factor_for: twoFactor.filter((c) => c.input.checked).map((c) => c.input.value),
        reply_codes: replyCodes.value(),
        tetra_status_replies: statusReplies.value(),
        language: language.value,
        security: security.value(),
      };
      for (const key of ["session_idle_minutes", "session_lifetime_hours", "password_min_length", "max_automated_alerts_per_minute"]) {
        if (body[key] === null) return showFieldError(form, { problem: { field: key, detail: t("common.required") } });
      }
      setBusy(submit, true);
      try {
        const saved = await api("PATCH", "/api/v1/settings", body);
        if (saved.settings && saved.settings.session_idle_minutes) S.idleSeconds = saved.settings.session_idle_minutes * 60;
        toast(t("common.saved"), "success");
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    append(page, form);
  }

  // ---------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------

  async function boot() {
    S.lang = pickLanguage();
    document.documentElement.lang = S.lang;
    S.csrf = storageGet(window.sessionStorage, CSRF_KEY);
    for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) {
      document.addEventListener(type, noteActivity, { passive: true, capture: true });
    }
    let lastMove = 0;
    document.addEventListener("mousemove", () => {
      if (Date.now() - lastMove > 5000) {
        lastMove = Date.now();
        noteActivity();
      }
    }, { passive: true });
    window.addEventListener("hashchange", route);
    if (S.csrf) {
      try {
        const me = await api("GET", "/api/v1/me", null, { anonymous: true });
        if (me.kind === "user") {
          setSession(me, null, me.idle_timeout_seconds);
          if (!me.idle_timeout_seconds && can("manage_settings") && me.session.stage === "full") {
            const r = await settle(api("GET", "/api/v1/settings"));
            if (r.ok) S.idleSeconds = r.value.settings.session_idle_minutes * 60;
          }
        }
      } catch (err) {
        storageSet(window.sessionStorage, CSRF_KEY, null);
        S.csrf = null;
        if (err.status && err.status !== 401) report(err);
      }
    }
    route();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
