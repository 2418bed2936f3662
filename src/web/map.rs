//! `GET /map/tiles.pmtiles`: the map tiles, one PMTiles archive the operator
//! installs (`[map] tiles`). The browser's reader asks for byte ranges of it
//! (the header, a directory, one tile), so ranges are answered as RFC 9110
//! says: 206 with `Content-Range`, 416 with the length. Tiles are no secret,
//! but the console's API needs a login and so do they: the appliance hands
//! its map to nobody it doesn't know. Without the file the answer is 404 and
//! the console draws a plain grid instead.

use super::extract::Principal;
use super::problem::ApiError;
use super::AppState;
use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::sync::Arc;

/// PMTiles' own media type.
const CONTENT_TYPE: &str = "application/vnd.pmtiles";
/// How much one read from the disk brings; a whole archive streams in pieces.
const CHUNK: u64 = 256 * 1024;

/// What a `Range` header asks of a file of a known length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Whole,
    /// First and last byte, both included.
    Part(u64, u64),
    Unsatisfiable,
}

/// One `bytes=` range; several ranges or another unit are answered with the
/// whole file, as RFC 9110 §14.2 lets a server do.
fn wanted(range: Option<&str>, len: u64) -> Wanted {
    let Some(spec) = range.map(str::trim) else {
        return Wanted::Whole;
    };
    let Some(set) = spec.strip_prefix("bytes=") else {
        return Wanted::Whole;
    };
    if set.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = set.trim().split_once('-') else {
        return Wanted::Unsatisfiable;
    };
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            Some(n) if n > 0 && len > 0 => Wanted::Part(len.saturating_sub(n), len - 1),
            _ => Wanted::Unsatisfiable,
        },
        (first, "") => match number(first) {
            Some(start) if start < len => Wanted::Part(start, len - 1),
            _ => Wanted::Unsatisfiable,
        },
        (first, last) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start <= end && start < len => {
                Wanted::Part(start, end.min(len - 1))
            }
            _ => Wanted::Unsatisfiable,
        },
    }
}

/// A validator that changes when the operator replaces or rewrites the file.
fn etag_of(meta: &std::fs::Metadata) -> String {
    format!(
        "\"{:x}-{:x}-{:x}.{:x}\"",
        meta.ino(),
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec()
    )
}

fn names(value: Option<&header::HeaderValue>, etag: &str) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').map(str::trim).any(|t| t == "*" || t == etag))
}

/// Reads `len` bytes from `start` a piece at a time, off the async workers.
fn pieces(
    file: Arc<File>,
    start: u64,
    len: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold((file, start, len), |(file, at, left)| async move {
        if left == 0 {
            return None;
        }
        let size = left.min(CHUNK);
        let reader = file.clone();
        let read = web::block(move || {
            let mut buf = vec![0; usize::try_from(size).unwrap_or(0)];
            reader.read_exact_at(&mut buf, at).map(|()| buf)
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r);
        Some(match read {
            Ok(buf) => (Ok(Bytes::from(buf)), (file, at + size, left - size)),
            // A file cut short under us ends the answer; the reader asks again.
            Err(e) => (Err(e), (file, at, 0)),
        })
    })
}

fn open(path: PathBuf) -> Result<Option<(File, std::fs::Metadata)>, std::io::Error> {
    match File::open(&path) {
        Ok(file) => {
            let meta = file.metadata()?;
            Ok(meta.is_file().then_some((file, meta)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

async fn tiles(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let path = state.map_tiles.clone();
    let opened = web::block(move || open(path))
        .await
        .map_err(|_| ApiError::Internal)?;
    let (file, meta) = match opened {
        Ok(Some(found)) => found,
        Ok(None) => return Err(ApiError::NotFound("map tiles")),
        Err(e) => {
            tracing::warn!(path = %state.map_tiles.display(), error = %e, "cannot read the map tiles");
            return Err(ApiError::NotFound("map tiles"));
        }
    };
    let len = meta.len();
    let etag = etag_of(&meta);
    if names(req.headers().get(header::IF_NONE_MATCH), &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .finish());
    }
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    // A range of an older version of the file would mix two archives.
    let same_version = req
        .headers()
        .get(header::IF_RANGE)
        .is_none_or(|v| v.to_str().ok() == Some(etag.as_str()));
    let wanted = if same_version {
        wanted(range, len)
    } else {
        Wanted::Whole
    };
    let mut response = match wanted {
        Wanted::Unsatisfiable => {
            return Ok(HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
                .insert_header((header::ACCEPT_RANGES, "bytes"))
                .finish());
        }
        Wanted::Whole => HttpResponse::Ok(),
        Wanted::Part(..) => HttpResponse::PartialContent(),
    };
    let (start, count) = match wanted {
        Wanted::Part(first, last) => {
            response.insert_header((header::CONTENT_RANGE, format!("bytes {first}-{last}/{len}")));
            (first, last - first + 1)
        }
        _ => (0, len),
    };
    Ok(response
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .content_type(CONTENT_TYPE)
        .body(SizedStream::new(
            count,
            pieces(Arc::new(file), start, count),
        )))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/map/tiles.pmtiles", web::get().to(tiles));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(wanted(None, 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-9"), 100), Wanted::Part(0, 9));
        assert_eq!(wanted(Some("bytes=90-"), 100), Wanted::Part(90, 99));
        assert_eq!(wanted(Some("bytes=-10"), 100), Wanted::Part(90, 99));
        assert_eq!(wanted(Some("bytes=-500"), 100), Wanted::Part(0, 99));
        // The reader's first ask is 16 KiB, whatever the file's size.
        assert_eq!(wanted(Some("bytes=0-16383"), 100), Wanted::Part(0, 99));
        assert_eq!(wanted(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=100-200"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=9-0"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=a-b"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-9"), 0), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=+1-9"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-1,5-6"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("items=0-1"), 100), Wanted::Whole);
    }
}
