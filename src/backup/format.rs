//! The backup file: a readable-by-nobody stream in the manner of age and the
//! STREAM construction.
//!
//! ```text
//! "TOCSINBK" | header length (u32 BE) | header (JSON) | chunk*
//! chunk = ciphertext length (u32 BE) | XChaCha20-Poly1305(64 KiB of the deflated image)
//! ```
//!
//! Every chunk's nonce is the header's random prefix, the chunk's number and
//! a last-chunk flag, and its additional data is the SHA-256 of the header:
//! a flipped byte, a swapped or dropped chunk, a cut-off end and a header
//! changed after the fact all fail, and the error names the chunk.

use super::{BackupError, BackupKey};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};

const MAGIC: &[u8; 8] = b"TOCSINBK";
pub const FORMAT: u32 = 1;
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
/// Bounds a header a damaged file claims, before reading it.
const MAX_HEADER: u32 = 64 * 1024;

/// What a backup says about itself, readable without the key but
/// authenticated by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub appliance: String,
    pub schema: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    pub key_id: String,
    /// Records by kind ("users", "alerts", ...), and "records" in all.
    pub counts: BTreeMap<String, u64>,
    pub compression: String,
    /// Hex, 15 bytes: the chunks' nonces start with it.
    pub nonce_prefix: String,
}

fn nonce(prefix: &[u8; 15], number: u64, last: bool) -> XNonce {
    let mut n = [0u8; 24];
    n[..15].copy_from_slice(prefix);
    n[15..23].copy_from_slice(&number.to_be_bytes());
    n[23] = u8::from(last);
    XNonce::from(n)
}

fn prefix_of(header: &Header) -> Result<[u8; 15], BackupError> {
    let mut prefix = [0u8; 15];
    hex::decode_to_slice(&header.nonce_prefix, &mut prefix)
        .map_err(|_| BackupError::Damaged("the header's nonce prefix is malformed".to_owned()))?;
    Ok(prefix)
}

/// A fresh nonce prefix for a header.
pub fn new_nonce_prefix() -> Result<String, BackupError> {
    let mut prefix = [0u8; 15];
    getrandom::fill(&mut prefix).map_err(|e| BackupError::Random(e.to_string()))?;
    Ok(hex::encode(prefix))
}

/// Writes `header` and the already compressed `image`, encrypted.
pub fn write(
    out: &mut impl Write,
    key: &BackupKey,
    header: &Header,
    image: &[u8],
) -> Result<u64, BackupError> {
    let header_bytes =
        serde_json::to_vec(header).map_err(|e| BackupError::Damaged(e.to_string()))?;
    let aad = Sha256::digest(&header_bytes);
    let prefix = prefix_of(header)?;
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let len = u32::try_from(header_bytes.len())
        .map_err(|_| BackupError::Damaged("header too long".to_owned()))?;
    out.write_all(MAGIC)?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(&header_bytes)?;
    let mut written = (MAGIC.len() + 4 + header_bytes.len()) as u64;
    let chunks: Vec<&[u8]> = if image.is_empty() {
        vec![&[][..]]
    } else {
        image.chunks(CHUNK).collect()
    };
    let last = chunks.len() - 1;
    for (number, plain) in chunks.into_iter().enumerate() {
        let sealed = cipher
            .encrypt(
                &nonce(&prefix, number as u64, number == last),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| BackupError::Damaged(format!("chunk {number} could not be sealed")))?;
        let len = u32::try_from(sealed.len())
            .map_err(|_| BackupError::Damaged("chunk too long".to_owned()))?;
        out.write_all(&len.to_be_bytes())?;
        out.write_all(&sealed)?;
        written += 4 + sealed.len() as u64;
    }
    out.flush()?;
    Ok(written)
}

fn read_header_bytes(input: &mut impl Read) -> Result<(Header, Vec<u8>), BackupError> {
    let mut magic = [0u8; 8];
    read_exact(input, &mut magic, "the file is too short to be a backup")?;
    if &magic != MAGIC {
        return Err(BackupError::Damaged(
            "this is not a Tocsin backup".to_owned(),
        ));
    }
    let mut len = [0u8; 4];
    read_exact(input, &mut len, "the header is cut off")?;
    let len = u32::from_be_bytes(len);
    if len > MAX_HEADER {
        return Err(BackupError::Damaged(
            "the header is impossibly long".to_owned(),
        ));
    }
    let mut bytes = vec![0u8; len as usize];
    read_exact(input, &mut bytes, "the header is cut off")?;
    let header: Header = serde_json::from_slice(&bytes)
        .map_err(|e| BackupError::Damaged(format!("the header is unreadable: {e}")))?;
    if header.format != FORMAT {
        return Err(BackupError::Damaged(format!(
            "backup format {} is not one this tocsin reads ({FORMAT})",
            header.format
        )));
    }
    Ok((header, bytes))
}

fn read_exact(input: &mut impl Read, buf: &mut [u8], what: &str) -> Result<(), BackupError> {
    input.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => BackupError::Damaged(what.to_owned()),
        _ => BackupError::Io(e),
    })
}

/// Checks and decrypts every chunk; returns the header and the compressed
/// image.
pub fn read(input: &mut impl Read, key: &BackupKey) -> Result<(Header, Vec<u8>), BackupError> {
    let (header, header_bytes) = read_header_bytes(input)?;
    if header.key_id != key.id() {
        return Err(BackupError::WrongKey {
            needed: header.key_id,
            given: key.id(),
        });
    }
    let aad = Sha256::digest(&header_bytes);
    let prefix = prefix_of(&header)?;
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let mut image = Vec::new();
    let mut number: u64 = 0;
    loop {
        let mut len = [0u8; 4];
        match input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(BackupError::Damaged(format!(
                    "the backup ends before its last chunk (after chunk {}): it was cut off",
                    number.saturating_sub(1)
                )));
            }
            Err(e) => return Err(BackupError::Io(e)),
        }
        let len = u32::from_be_bytes(len) as usize;
        if !(TAG..=CHUNK + TAG).contains(&len) {
            return Err(BackupError::Damaged(format!(
                "chunk {number} has an impossible length"
            )));
        }
        let mut sealed = vec![0u8; len];
        read_exact(input, &mut sealed, &format!("chunk {number} is cut off"))?;
        let open = |last| {
            cipher.decrypt(
                &nonce(&prefix, number, last),
                Payload {
                    msg: &sealed,
                    aad: &aad,
                },
            )
        };
        let (plain, last) = match open(false) {
            Ok(plain) => (plain, false),
            Err(_) => match open(true) {
                Ok(plain) => (plain, true),
                Err(_) => {
                    return Err(BackupError::Damaged(format!(
                        "chunk {number} fails its check: changed, moved or from another backup"
                    )))
                }
            },
        };
        image.extend_from_slice(&plain);
        if last {
            let mut rest = [0u8; 1];
            if input.read(&mut rest)? != 0 {
                return Err(BackupError::Damaged(format!(
                    "data follows the last chunk ({number})"
                )));
            }
            return Ok((header, image));
        }
        number += 1;
    }
}
