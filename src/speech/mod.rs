//! Spoken messages for robot calls: what is said (the script, in the
//! person's language), spoken by espeak-ng and brought to the 8 kHz mono
//! 16-bit WAV the modems play, kept per alert and language until the alert
//! closes.

mod wav;

#[cfg(test)]
mod tests;

pub use wav::{Wav, WavError, CALL_RATE};

use crate::ids::Id;
use crate::text::{fill, phrase, Lang};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How much of an alert's text is spoken; the rest waits in the app.
/// About 40 seconds of speech: longer, and people hang up before the
/// choices.
pub const SPOKEN_TEXT_MAX: usize = 600;

/// The program that speaks (Debian package `espeak-ng`).
const ESPEAK: &str = "espeak-ng";
/// Words per minute: a little slower than espeak-ng's default, for a phone line.
const WORDS_PER_MINUTE: &str = "150";

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("espeak-ng is not installed (Debian package espeak-ng): {0}")]
    NotInstalled(std::io::Error),
    #[error("espeak-ng failed: {0}")]
    Failed(String),
    #[error("espeak-ng's audio is unusable: {0}")]
    Audio(#[from] WavError),
    #[error("the spoken message could not be kept in {}: {source}", path.display())]
    Cache {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What an alert call says.
#[derive(Debug, Clone)]
pub struct Script<'a> {
    pub org: &'a str,
    pub critical: bool,
    pub warning: bool,
    pub title: &'a str,
    /// `None` for a sealed alert, whose text the appliance never holds.
    pub body: Option<&'a str>,
    pub responses: &'a [String],
    pub allow_eta: bool,
}

impl Script<'_> {
    /// The words, in `lang`: who calls, the severity, the title and text
    /// (shortened past [`SPOKEN_TEXT_MAX`]), then the keys to press.
    pub fn words(&self, lang: Lang) -> String {
        let mut parts = vec![fill(lang, "voice_intro", &[("org", self.org)])];
        if self.critical {
            parts.push(phrase(lang, "voice_critical").to_owned());
        } else if self.warning {
            parts.push(phrase(lang, "voice_warning").to_owned());
        }
        parts.push(sentence(self.title));
        match self.body {
            None => parts.push(phrase(lang, "voice_sealed").to_owned()),
            Some(body) if body.trim().is_empty() => {}
            Some(body) => {
                let (spoken, cut) = shortened(body, SPOKEN_TEXT_MAX);
                parts.push(sentence(spoken));
                if cut {
                    parts.push(phrase(lang, "voice_shortened").to_owned());
                }
            }
        }
        for (i, option) in self.responses.iter().enumerate().take(9) {
            let digit = (i + 1).to_string();
            parts.push(fill(
                lang,
                "voice_press",
                &[("digit", &digit), ("option", option)],
            ));
        }
        if self.allow_eta {
            parts.push(phrase(lang, "voice_eta").to_owned());
        }
        parts.push(phrase(lang, "voice_repeat").to_owned());
        parts.join(" ")
    }
}

/// The text cut at a word boundary near `max` characters; whether it was.
fn shortened(text: &str, max: usize) -> (&str, bool) {
    let text = text.trim();
    match text.char_indices().nth(max) {
        None => (text, false),
        Some((end, _)) => {
            let head = text.get(..end).unwrap_or(text);
            let cut = head.rfind(char::is_whitespace).unwrap_or(end);
            (head.get(..cut).unwrap_or(head).trim_end(), true)
        }
    }
}

/// A line ending in a full stop, so the voice pauses after it.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

fn voice(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Fi => "fi",
        Lang::Sv => "sv",
    }
}

/// `words` spoken in `lang`, as the modems play it.
pub fn synthesise(words: &str, lang: Lang) -> Result<Wav, SpeechError> {
    let mut child = Command::new(ESPEAK)
        .args([
            "-v",
            voice(lang),
            "-s",
            WORDS_PER_MINUTE,
            "-b",
            "1",
            "--stdout",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(SpeechError::NotInstalled)?;
    if let Some(mut stdin) = child.stdin.take() {
        // Options are not read from the text: it goes in on stdin.
        stdin
            .write_all(words.as_bytes())
            .map_err(|e| SpeechError::Failed(e.to_string()))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| SpeechError::Failed(e.to_string()))?;
    if !out.status.success() {
        return Err(SpeechError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    Ok(Wav::parse(&out.stdout)?.resampled(CALL_RATE)?)
}

/// Spoken messages kept on disk, by alert, language and what they are
/// (the message, each choice's confirmation), so a call to a hundred people
/// speaks once per language. A file's name carries a digest of its words: an
/// alert whose text changes is spoken anew.
#[derive(Debug, Clone)]
pub struct SpeechCache {
    dir: PathBuf,
}

impl SpeechCache {
    pub fn new(dir: &Path) -> SpeechCache {
        SpeechCache {
            dir: dir.to_owned(),
        }
    }

    fn path(&self, alert: Id, lang: Lang, what: &str, words: &str) -> PathBuf {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(words.as_bytes());
        let short = hex::encode(digest.get(..4).unwrap_or_default());
        self.dir
            .join(format!("{alert}-{}-{what}-{short}.wav", voice(lang)))
    }

    /// `words` in `lang`, spoken now or read from before: the file's path.
    pub fn spoken(
        &self,
        alert: Id,
        lang: Lang,
        what: &str,
        words: &str,
    ) -> Result<PathBuf, SpeechError> {
        let path = self.path(alert, lang, what, words);
        if path.is_file() {
            return Ok(path);
        }
        let wav = synthesise(words, lang)?;
        let cache = |source| SpeechError::Cache {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(cache)?;
        // Written aside and renamed, so a crash never leaves half a file
        // that a later call would play. Each writer has a file of its own:
        // two modems calling at once speak the same words side by side.
        let mut partial = tempfile::Builder::new()
            .prefix(&format!("{alert}-partial-"))
            .tempfile_in(&self.dir)
            .map_err(cache)?;
        partial.write_all(&wav.to_bytes()).map_err(cache)?;
        partial.persist(&path).map_err(|e| cache(e.error))?;
        Ok(path)
    }

    /// The alerts with spoken files kept, each with its files' names.
    pub fn alerts(&self) -> std::collections::BTreeMap<Id, Vec<String>> {
        let mut alerts: std::collections::BTreeMap<Id, Vec<String>> = Default::default();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return alerts;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let alert = name.split('-').next().and_then(|id| id.parse::<Id>().ok());
            if let Some(alert) = alert {
                alerts.entry(alert).or_default().push(name);
            }
        }
        alerts
    }

    /// Forgets every spoken file of the alert, when it closes; the names
    /// of those it deleted.
    pub fn forget(&self, alert: Id) -> Vec<String> {
        let mut gone = Vec::new();
        for name in self.alerts().remove(&alert).unwrap_or_default() {
            if std::fs::remove_file(self.dir.join(&name)).is_ok() {
                gone.push(name);
            }
        }
        gone
    }
}
