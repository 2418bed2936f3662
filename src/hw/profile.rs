//! Device profiles: what differs between models of modem or radio lives in
//! data (`firmware-configs/<kind>/*.toml`), not in code. The profiles shipped
//! with Tocsin are compiled in; a file of the same name in the configuration
//! directory's `firmware-configs/<kind>/` replaces one or adds a new model.

use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("no {kind} profile \"{name}\" (built in: {known}; or add {path})")]
    Unknown {
        kind: &'static str,
        name: String,
        known: String,
        path: PathBuf,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// A profile's timeout in whole seconds; zero would make every command time
/// out at once, so it counts as one.
pub fn seconds(configured: u64) -> std::time::Duration {
    std::time::Duration::from_secs(configured.max(1))
}

/// Finds profile `name` of `kind` ("modems", "radios"): the configuration
/// directory first, then `built_in`.
pub fn load<T: DeserializeOwned>(
    kind: &'static str,
    built_in: &[(&str, &str)],
    name: &str,
    config_dir: Option<&Path>,
) -> Result<T, ProfileError> {
    let relative = format!("firmware-configs/{kind}/{name}.toml");
    let local = config_dir.map(|d| d.join(&relative));
    if let Some(path) = local.as_ref().filter(|p| p.is_file()) {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Invalid {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        return parse(&path.display().to_string(), &text);
    }
    match built_in.iter().find(|(n, _)| *n == name) {
        Some((_, text)) => parse(&relative, text),
        None => Err(ProfileError::Unknown {
            kind: kind.trim_end_matches('s'),
            name: name.to_owned(),
            known: built_in
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
            path: local.unwrap_or_else(|| PathBuf::from(relative)),
        }),
    }
}

fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, ProfileError> {
    toml_edit::de::from_str(text).map_err(|e| ProfileError::Invalid {
        file: file.to_owned(),
        message: e.to_string().trim().replace('\n', " "),
    })
}
