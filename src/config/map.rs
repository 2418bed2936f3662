//! `[map]`: the map tiles the console's map draws, one PMTiles archive the
//! operator installs. Without the file the map still works on a plain grid.

use super::reader::{Reader, TableCursor};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapConfig {
    /// A PMTiles archive, served to logged-in users with HTTP ranges.
    pub tiles: PathBuf,
}

impl MapConfig {
    /// Where the tiles are looked for when the file names none.
    pub fn default_for(data_dir: &Path) -> MapConfig {
        MapConfig {
            tiles: data_dir.join("map").join("tiles.pmtiles"),
        }
    }
}

pub(super) fn read_map(r: &mut Reader, t: &mut TableCursor, data_dir: &Path) -> MapConfig {
    let tiles = r
        .path(t, "tiles")
        .unwrap_or_else(|| MapConfig::default_for(data_dir).tiles);
    MapConfig { tiles }
}
