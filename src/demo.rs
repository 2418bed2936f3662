//! `tocsin demo`: the whole appliance in one directory, with a demo organisation
//! and members to try it on. Each start makes a fresh admin password and API key
//! and prints them once.

use crate::clock::SharedClock;
use crate::provisioning::{self, ProvisionError};
use crate::store::{NewGroup, NewUser, Store, StoreError};
use std::net::SocketAddr;

pub const ORG: &str = "demo";
pub const ADMIN: &str = "admin";

struct Member {
    username: &'static str,
    name: &'static str,
    phone: &'static str,
    email: &'static str,
    issi: u32,
    language: &'static str,
    groups: &'static [&'static str],
    /// Where the map shows them: metres north and east of [`PLACE`].
    seen_at: (f64, f64),
}

const MEMBERS: &[Member] = &[
    Member {
        username: "aino",
        name: "Aino Virtanen",
        phone: "+358401000001",
        email: "aino@demo.example",
        issi: 2_001_001,
        language: "fi",
        groups: &["firefighters", "officers"],
        seen_at: (70.0, 80.0),
    },
    Member {
        username: "elias",
        name: "Elias Korhonen",
        phone: "+358401000002",
        email: "elias@demo.example",
        issi: 2_001_002,
        language: "fi",
        groups: &["firefighters"],
        seen_at: (-80.0, -75.0),
    },
    Member {
        username: "linnea",
        name: "Linnea Lindqvist",
        phone: "+358401000003",
        email: "linnea@demo.example",
        issi: 2_001_003,
        language: "sv",
        groups: &["firefighters", "first-responders"],
        seen_at: (150.0, -150.0),
    },
    Member {
        username: "oliver",
        name: "Oliver Smith",
        phone: "+358401000004",
        email: "oliver@demo.example",
        issi: 2_001_004,
        language: "en",
        groups: &["first-responders"],
        seen_at: (-390.0, 330.0),
    },
    Member {
        username: "sofia",
        name: "Sofia Mäkinen",
        phone: "+358401000005",
        email: "sofia@demo.example",
        issi: 2_001_005,
        language: "fi",
        groups: &["officers", "first-responders"],
        seen_at: (220.0, 170.0),
    },
];

const GROUPS: &[&str] = &["firefighters", "officers", "first-responders"];

/// Vector tiles of Otaniemi, Espoo, from OpenStreetMap data (ODbL; see
/// `demo/README.md`): the demo's map shows a real place with no network.
const MAP_TILES: &[u8] = include_bytes!("demo/otaniemi.pmtiles");
/// A place on that map, for the demo's alert with a location.
pub const PLACE: (f64, f64) = (60.1856, 24.8276);

/// Puts the demo's tiles where the map looks for them, unless a file is
/// there already (an operator's own map stays).
pub fn install_map_tiles(config: &crate::config::Config) -> std::io::Result<()> {
    let path = &config.map.tiles;
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension("pmtiles.partial");
    std::fs::write(&partial, MAP_TILES)?;
    std::fs::rename(&partial, path)
}

pub struct DemoLogin {
    pub admin_password: String,
    /// The password every demo member logs in to the app with.
    pub member_password: String,
    pub api_key: String,
}

/// Seeds the demo organisation on first start and issues fresh credentials.
pub fn prepare(store: &Store, clock: &SharedClock) -> Result<DemoLogin, ProvisionError> {
    let admin_password = generate_password()?;
    let created = provisioning::create_admin(store, clock, ORG, ADMIN, &admin_password)?;
    if created.org_created {
        seed_members(store, clock, created.org.id)?;
    }
    let member_password = generate_password()?;
    let hash = crate::auth::password::hash(&member_password)?;
    let handle = store.org(created.org.id);
    for member in MEMBERS {
        if let Some(user) = handle.user_by_username(member.username)? {
            let change = crate::store::UserChange {
                password_hash: Some(Some(hash.clone())),
                ..crate::store::UserChange::default()
            };
            handle.change_user(user.id, &change, clock.now())?;
        }
    }
    seed_positions(&handle, clock.now())?;
    let stamp = clock.now().unix_timestamp();
    let api_key =
        provisioning::create_api_key(store, clock, ORG, &format!("demo-{stamp}"), "admin", None)?;
    Ok(DemoLogin {
        admin_password,
        member_password,
        api_key,
    })
}

/// Members on duty were just seen around the demo's place, so its map shows
/// them; each start seeds them afresh, as positions are kept only so long.
fn seed_positions(
    org: &crate::store::OrgStore,
    now: time::OffsetDateTime,
) -> Result<(), StoreError> {
    // Metres to degrees there: a degree of latitude is 111 km everywhere,
    // one of longitude shrinks with the cosine of the latitude.
    let per_degree_lat = 111_320.0;
    let per_degree_lon = per_degree_lat * PLACE.0.to_radians().cos();
    for m in MEMBERS {
        let Some(user) = org.user_by_username(m.username)? else {
            continue;
        };
        if !crate::places::sharing(org, &user)?.sharing {
            continue;
        }
        org.set_position(&crate::store::Position {
            user: user.id,
            lat: PLACE.0 + m.seen_at.0 / per_degree_lat,
            lon: PLACE.1 + m.seen_at.1 / per_degree_lon,
            accuracy_m: 12.0,
            at: now,
        })?;
    }
    org.store().flush_blocking()
}

fn seed_members(store: &Store, clock: &SharedClock, org: crate::ids::Id) -> Result<(), StoreError> {
    let handle = store.org(org);
    let now = clock.now();
    // Members share their position while on duty, and the demo's are.
    if let Some(record) = store.get_org(org)? {
        let mut settings = record.settings;
        settings.location_policy = crate::store::LocationPolicy::Duty;
        store.set_org_settings(org, &settings)?;
    }
    let mut group_ids = Vec::new();
    for name in GROUPS {
        group_ids.push((
            *name,
            handle
                .create_group(
                    NewGroup {
                        name: (*name).to_owned(),
                        members: Vec::new(),
                    },
                    now,
                )?
                .id,
        ));
    }
    for m in MEMBERS {
        let user = handle.create_user(
            NewUser {
                username: m.username.to_owned(),
                name: m.name.to_owned(),
                phones: vec![m.phone.to_owned()],
                email: Some(m.email.to_owned()),
                tetra_issi: Some(m.issi),
                language: Some(m.language.to_owned()),
                roles: vec!["member".to_owned()],
                password_hash: None,
                channels: Vec::new(),
                must_change_password: false,
                groups: group_ids
                    .iter()
                    .filter(|(name, _)| m.groups.contains(name))
                    .map(|(_, id)| *id)
                    .collect(),
            },
            now,
        )?;
        let duty = crate::store::UserChange {
            on_duty: Some(true),
            ..crate::store::UserChange::default()
        };
        handle.change_user(user.id, &duty, now)?;
    }
    // Alarm buttons every member has in the app.
    for (name, button, title, group) in [
        ("threat", "Threat", "Threat: help needed now", "officers"),
        (
            "medical",
            "Medical emergency",
            "Medical emergency",
            "first-responders",
        ),
    ] {
        handle.create_template(&crate::store::Template {
            id: crate::ids::Id::new(),
            name: name.to_owned(),
            button: Some(button.to_owned()),
            button_roles: vec!["member".to_owned()],
            alert: serde_json::json!({"title": title, "severity": "critical", "channels": ["app", "sms"],
                                      "recipients": {"groups": [group]}}),
            merge_window_seconds: 300,
            check_in_minutes: None,
            last_fired: None,
            created_at: now,
            updated_at: now,
        })?;
    }
    // A dispatcher's alert with a place the map shows.
    handle.create_template(&crate::store::Template {
        id: crate::ids::Id::new(),
        name: "campus-fire".to_owned(),
        button: None,
        button_roles: Vec::new(),
        alert: serde_json::json!({"title": "Fire at the Otaniemi campus", "severity": "critical",
                                  "channels": ["app", "sms"], "recipients": {"groups": ["firefighters"]},
                                  "location": {"lat": PLACE.0, "lon": PLACE.1, "label": "Otaniemi, Espoo"}}),
        merge_window_seconds: 300,
        check_in_minutes: None,
        last_fired: None,
        created_at: now,
        updated_at: now,
    })?;
    store.flush_blocking()
}

/// 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
fn generate_password() -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes: [u8; 20] = crate::auth::random_bytes()?;
    Ok(bytes
        .iter()
        .filter_map(|b| ALPHABET.get(usize::from(*b) % ALPHABET.len()))
        .map(|c| char::from(*c))
        .collect())
}

/// The demo's simulated hardware; dropping it stops the devices.
pub struct SimulatedDevices {
    pub modem: crate::hw::sim::modem::SimModem,
    pub radio: crate::hw::sim::radio::SimRadio,
}

/// The ISSI of the demo's own radio terminal.
pub const RADIO_ISSI: u32 = 1_000_001;

/// Starts the demo's simulated GSM modem and TETRA radio on pseudo-terminals
/// in the data directory and adds them to the configuration, as real ones
/// would be. Members' radios answer call-outs (aino accepts, elias rejects);
/// their phones take robot calls the same way (answered with 1, or busy).
pub fn simulated_devices(config: &mut crate::config::Config) -> Result<SimulatedDevices, String> {
    use crate::hw::sim::radio::{Behaviour, SimRadio, SimRadioConfig};
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
    let modem_link = config.data_dir.join("sim-modem");
    let modem = crate::hw::sim::modem::SimModem::start(&modem_link, Default::default())
        .map_err(|e| format!("cannot start the simulated modem: {e}"))?;
    let profile = crate::hw::gsm::profile::load("quectel-ec25", None).map_err(|e| e.to_string())?;
    config.modems.push(crate::config::ModemConfig {
        name: "sim-modem".to_owned(),
        device: modem_link,
        baud: 115_200,
        profile_name: "quectel-ec25".to_owned(),
        profile,
        sim_pin: None,
        voice: true,
    });
    // Robot calls: every other member picks up and presses 1 (Coming)
    // while the message plays; the others are busy.
    for (i, member) in MEMBERS.iter().enumerate() {
        modem.set_callee(
            member.phone,
            if i % 2 == 0 {
                crate::hw::sim::modem::Callee::Answers {
                    after: std::time::Duration::from_secs(2),
                    keys: vec![(std::time::Duration::from_secs(6), '1')],
                    hang_up: None,
                }
            } else {
                crate::hw::sim::modem::Callee::Busy
            },
        );
    }
    let radio_link = config.data_dir.join("sim-radio");
    let radio = SimRadio::start(
        &radio_link,
        SimRadioConfig {
            own_issi: RADIO_ISSI,
            ..SimRadioConfig::default()
        },
    )
    .map_err(|e| format!("cannot start the simulated radio: {e}"))?;
    for (i, member) in MEMBERS.iter().enumerate() {
        radio.set_behaviour(
            member.issi,
            if i % 2 == 0 {
                Behaviour::Accept
            } else {
                Behaviour::Reject
            },
        );
    }
    let profile =
        crate::hw::tetra::profile::load("sepura-srg3900", None).map_err(|e| e.to_string())?;
    config.radios.push(crate::config::RadioConfig {
        name: "sim-radio".to_owned(),
        device: radio_link,
        baud: 38_400,
        profile_name: "sepura-srg3900".to_owned(),
        profile,
        issi: RADIO_ISSI,
    });
    Ok(SimulatedDevices { modem, radio })
}

pub fn banner(listen: SocketAddr, public_url: &str, login: &DemoLogin) -> String {
    let members: Vec<&str> = MEMBERS.iter().map(|m| m.username).collect();
    format!(
        "\nTocsin demo is running on https://{listen} (self-signed certificate)\n\n\
         \x20 Console:       {public_url}/console/\n\
         \x20 Members' app:  {public_url}/app/ (phone-sized; sign in as a member)\n\
         \x20 Map:           {public_url}/console/#/map (Otaniemi, Espoo; members on duty are on it)\n\
         \x20 Health:        {public_url}/healthz\n\
         \x20 Admin login:   organisation \"{ORG}\", username \"{ADMIN}\", password \"{password}\"\n\
         \x20 Member logins: organisation \"{ORG}\", usernames {members}, password \"{member_password}\"\n\
         \x20                (one-time: new passwords are made at every start)\n\
         \x20 API key:       {key}\n\n\
         \x20 Follow aino's alerts:\n\
         \x20   curl -k -c jar -H 'Content-Type: application/json' -d '{{\"org\":\"{ORG}\",\"username\":\"aino\",\"password\":\"{member_password}\"}}' {public_url}/api/v1/session\n\
         \x20   curl -k -N -b jar {public_url}/api/v1/me/alerts/stream\n\
         \x20 Send an alert to the firefighters (app and SMS through the simulated modem):\n\
         \x20   curl -k -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{{\"title\":\"Fire at depot 3\",\"severity\":\"critical\",\"channels\":[\"app\",\"sms\"],\"recipients\":{{\"groups\":[\"firefighters\"]}}}}' {public_url}/api/v1/alerts\n\
         \x20 As a TETRA call-out (aino's radio accepts, elias's rejects):\n\
         \x20   curl -k -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{{\"title\":\"B3 Hauptstr 5\",\"severity\":\"critical\",\"channels\":[\"tetra\"],\"tetra_callout\":{{}},\"recipients\":{{\"users\":[\"aino\",\"elias\"]}}}}' {public_url}/api/v1/alerts\n\
         \x20 The modem, the radio and what they received:\n\
         \x20   curl -k -H 'Authorization: Bearer {key}' {public_url}/api/v1/devices/hardware\n\
         \x20   curl -k -H 'Authorization: Bearer {key}' {public_url}/api/v1/inbound\n\n\
         Stop with Ctrl-C.\n",
        members = members.join(", "),
        password = login.admin_password,
        member_password = login.member_password,
        key = login.api_key,
    )
}
