//! The plaintext inside a backup: the store's consistent image and the
//! at-rest key, as a flat list of entries, deflated.
//!
//! ```text
//! 1 | tree | key len (u32 BE) | key | value len (u32 BE) | value   set
//! 2 | tree | key len | key                                        remove
//! 3 | len | at-rest key file                                      key
//! 0                                                               end
//! ```

use super::BackupError;
use crate::store::{Change, Store, Tally, TreeId};
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use std::io::{Read, Write};

const SET: u8 = 1;
const REMOVE: u8 = 2;
const AT_REST_KEY: u8 = 3;
const END: u8 = 0;

/// The image of `store` and its at-rest key file, deflated, with what it
/// holds.
pub fn take(store: &Store, at_rest_key: &[u8]) -> Result<(Vec<u8>, Tally), BackupError> {
    let mut out = DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    put_bytes(&mut out, AT_REST_KEY, at_rest_key)?;
    let tally = store.snapshot(|change| {
        let written = match change {
            Change::Set { tree, key, value } => out
                .write_all(&[SET, *tree as u8])
                .and_then(|()| put(&mut out, key))
                .and_then(|()| put(&mut out, value)),
            Change::Remove { tree, key } => out
                .write_all(&[REMOVE, *tree as u8])
                .and_then(|()| put(&mut out, key)),
        };
        written.map_err(|e| crate::store::StoreError::Sled(sled::Error::Io(e)))
    })?;
    out.write_all(&[END])?;
    Ok((out.finish()?, tally))
}

fn put(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len())
        .map_err(|_| std::io::Error::other("an entry longer than 4 GiB"))?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(bytes)
}

fn put_bytes(out: &mut impl Write, tag: u8, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(&[tag])?;
    put(out, bytes)
}

/// What an image holds, read back.
#[derive(Debug, Default)]
pub struct Contents {
    pub changes: Vec<Change>,
    pub at_rest_key: Vec<u8>,
}

pub fn read(deflated: &[u8]) -> Result<Contents, BackupError> {
    let mut input = DeflateDecoder::new(deflated);
    let mut contents = Contents::default();
    let damaged = |what: &str| BackupError::Damaged(format!("the image inside is damaged: {what}"));
    loop {
        let mut tag = [0u8; 1];
        input
            .read_exact(&mut tag)
            .map_err(|_| damaged("it ends without its end mark"))?;
        match tag[0] {
            END => return Ok(contents),
            AT_REST_KEY => contents.at_rest_key = get(&mut input).map_err(|_| damaged("key"))?,
            SET | REMOVE => {
                let mut tree = [0u8; 1];
                input
                    .read_exact(&mut tree)
                    .map_err(|_| damaged("an entry is cut off"))?;
                let tree = TreeId::from_byte(tree[0]).ok_or_else(|| damaged("unknown tree"))?;
                let key = get(&mut input).map_err(|_| damaged("an entry is cut off"))?;
                contents.changes.push(if tag[0] == SET {
                    let value = get(&mut input).map_err(|_| damaged("an entry is cut off"))?;
                    Change::Set { tree, key, value }
                } else {
                    Change::Remove { tree, key }
                });
            }
            _ => return Err(damaged("unknown entry")),
        }
    }
}

fn get(input: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let mut bytes = vec![0u8; u32::from_be_bytes(len) as usize];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}
