//! Who an alert reaches: people, groups and roles resolved to recipients,
//! each on the channels they can be reached on.

use super::*;

/// The channels a user is reached on for an alert: their own preference order
/// where they set one, limited to the alert's channels and to what the user
/// has an address for.
pub fn channels_for(user: &Contact, alert_channels: &[Channel]) -> Vec<Channel> {
    let preferred: Vec<Channel> = user
        .channels
        .iter()
        .filter_map(|c| Channel::from_name(c))
        .filter(|c| alert_channels.contains(c))
        .collect();
    // A preference never silences an alert: without overlap, the alert's own
    // channels apply.
    let order = if preferred.is_empty() {
        alert_channels.to_vec()
    } else {
        preferred
    };
    order
        .into_iter()
        .filter(|c| user_reachable_on(user, *c))
        .collect()
}

pub(super) fn user_reachable_on(user: &Contact, channel: Channel) -> bool {
    match channel {
        Channel::App => user.signs_in,
        Channel::Sms | Channel::Voice => !user.phones.is_empty(),
        Channel::Email => user.email.is_some(),
        Channel::Tetra => user.tetra_issi.is_some(),
    }
}

pub(crate) fn user_recipient(user: &Contact, channels: &[Channel], via: String) -> Recipient {
    Recipient {
        id: Id::new(),
        alert_id: Id::SYSTEM,
        user_id: Some(user.id),
        name: user.name.clone(),
        phone: user.phones.first().cloned(),
        email: user.email.clone(),
        issi: user.tetra_issi,
        gssi: None,
        channels: channels_for(user, channels),
        channels_used: 0,
        via,
        response: None,
        deliveries: Vec::new(),
    }
}

pub(super) fn ad_hoc(name: String, via: &str, channels: Vec<Channel>) -> Recipient {
    Recipient {
        id: Id::new(),
        alert_id: Id::SYSTEM,
        user_id: None,
        name,
        phone: None,
        email: None,
        issi: None,
        gssi: None,
        channels,
        channels_used: 0,
        via: via.to_owned(),
        response: None,
        deliveries: Vec::new(),
    }
}

pub(super) fn resolve(
    org: &OrgStore,
    access: &Access,
    request: &AlertRequest,
    now: OffsetDateTime,
) -> Result<Vec<Recipient>, AlertError> {
    let spec = &request.recipients;
    let channels = &request.channels;
    let restricted = access.alert_groups.is_some();
    const ONLY_GROUPS: &str = "your role may alert only its own groups";
    let mut seen_users: HashSet<Id> = HashSet::new();
    let mut recipients = Vec::new();

    if restricted {
        if !spec.users.is_empty() {
            return Err(not_allowed("recipients.users".into(), ONLY_GROUPS));
        }
        if !spec.roles.is_empty() {
            return Err(not_allowed("recipients.roles".into(), ONLY_GROUPS));
        }
        if spec.area.is_some() {
            return Err(not_allowed("recipients.area".into(), ONLY_GROUPS));
        }
        if !(spec.phones.is_empty()
            && spec.emails.is_empty()
            && spec.tetra_issi.is_empty()
            && spec.tetra_gssi.is_empty())
        {
            return Err(not_allowed("recipients".into(), ONLY_GROUPS));
        }
    }
    for (i, reference) in spec.users.iter().enumerate() {
        let user = org.find_user(reference)?.ok_or_else(|| {
            invalid(
                format!("recipients.users[{i}]"),
                "no such user in this organisation",
            )
        })?;
        // A deactivated user (switched off by the identity provider) is
        // not alerted, even when named.
        if !user.deactivated && seen_users.insert(user.id) {
            recipients.push(user_recipient(
                &Contact::from(&user),
                channels,
                "user".to_owned(),
            ));
        }
    }
    if !spec.groups.is_empty() {
        // Members are read one by one: a group is usually a small part of
        // an organisation that may hold tens of thousands of people.
        let mut users: BTreeMap<Id, Option<Contact>> = BTreeMap::new();
        for (i, reference) in spec.groups.iter().enumerate() {
            let field = format!("recipients.groups[{i}]");
            let group = org
                .find_group(reference)?
                .ok_or_else(|| invalid(field.clone(), "no such group in this organisation"))?;
            if !access.may_alert_group(group.id) {
                return Err(not_allowed(field, "your role may not alert this group"));
            }
            let unread: Vec<Id> = group
                .members
                .iter()
                .filter(|m| !users.contains_key(m))
                .copied()
                .collect();
            users.extend(unread.iter().copied().zip(org.contacts_by_id(&unread)?));
            for member in &group.members {
                let user = users.get(member).and_then(Option::as_ref);
                if let Some(user) = user.filter(|u| !u.deactivated) {
                    if seen_users.insert(user.id) {
                        recipients.push(user_recipient(
                            user,
                            channels,
                            format!("group:{}", group.name),
                        ));
                    }
                }
            }
        }
    }
    if !spec.roles.is_empty() {
        let users = org.users()?;
        for (i, role) in spec.roles.iter().enumerate() {
            if org.role_by_name(role)?.is_none() {
                return Err(invalid(
                    format!("recipients.roles[{i}]"),
                    "no such role in this organisation",
                ));
            }
            for user in users
                .iter()
                .filter(|u| u.roles.contains(role) && !u.deactivated)
            {
                if seen_users.insert(user.id) {
                    recipients.push(user_recipient(
                        &Contact::from(user),
                        channels,
                        format!("role:{role}"),
                    ));
                }
            }
        }
    }
    if let Some(area) = &spec.area {
        let within = spec.seen_within_minutes.unwrap_or(SEEN_WITHIN_MINUTES);
        for user in inside(org, area, within, now)? {
            if seen_users.insert(user.id) {
                recipients.push(user_recipient(
                    &Contact::from(&user),
                    channels,
                    "area".to_owned(),
                ));
            }
        }
    }
    let known_phones: HashSet<String> = recipients.iter().filter_map(|r| r.phone.clone()).collect();
    for phone in unique(&spec.phones) {
        if known_phones.contains(phone) {
            continue;
        }
        let usable = carried_by(channels, &[Channel::Sms, Channel::Voice]);
        let mut r = ad_hoc(phone.clone(), "phone", usable);
        r.phone = Some(phone.clone());
        recipients.push(r);
    }
    let known_emails: HashSet<String> = recipients.iter().filter_map(|r| r.email.clone()).collect();
    for email in unique(&spec.emails) {
        if known_emails.contains(email) {
            continue;
        }
        let usable = carried_by(channels, &[Channel::Email]);
        let mut r = ad_hoc(email.clone(), "email", usable);
        r.email = Some(email.clone());
        recipients.push(r);
    }
    let known_issi: HashSet<u32> = recipients.iter().filter_map(|r| r.issi).collect();
    for issi in unique(&spec.tetra_issi) {
        if known_issi.contains(issi) {
            continue;
        }
        let usable = carried_by(channels, &[Channel::Tetra]);
        let mut r = ad_hoc(format!("ISSI {issi}"), "tetra_issi", usable);
        r.issi = Some(*issi);
        recipients.push(r);
    }
    for gssi in unique(&spec.tetra_gssi) {
        let usable = carried_by(channels, &[Channel::Tetra]);
        let mut r = ad_hoc(format!("talk group {gssi}"), "tetra_gssi", usable);
        r.gssi = Some(*gssi);
        recipients.push(r);
    }
    Ok(recipients)
}

/// The members whose last known position, no older than `within`
/// minutes, lies inside `area`.
pub fn inside(
    org: &OrgStore,
    area: &crate::geo::Area,
    within: u32,
    now: OffsetDateTime,
) -> Result<Vec<User>, StoreError> {
    let fresh_after = now - time::Duration::minutes(i64::from(within));
    let mut found = Vec::new();
    for position in org.positions()? {
        if position.at >= fresh_after && area.contains(position.lat, position.lon) {
            if let Some(user) = org.user(position.user)?.filter(|u| !u.deactivated) {
                found.push(user);
            }
        }
    }
    Ok(found)
}

/// The alert's channels that can carry an address of one kind (a phone
/// number goes by SMS or voice, an ISSI by TETRA, ...).
pub(super) fn carried_by(channels: &[Channel], kinds: &[Channel]) -> Vec<Channel> {
    channels
        .iter()
        .copied()
        .filter(|c| kinds.contains(c))
        .collect()
}

pub(super) fn unique<T: Eq + std::hash::Hash>(items: &[T]) -> impl Iterator<Item = &T> {
    let mut seen = HashSet::new();
    items.iter().filter(move |i| seen.insert(*i))
}
