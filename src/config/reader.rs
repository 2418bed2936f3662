//! A TOML walker that remembers which keys were asked for and where each value
//! sits in the file, so problems can name the line and unknown keys can be caught.

use super::Problem;
use std::path::{Path, PathBuf};
use toml_edit::{Item, TableLike};

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .iter()
        .take(end)
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

pub(super) struct TableCursor<'a> {
    table: &'a dyn TableLike,
    /// Dotted path of this table for messages: "", "http", "modems[1]".
    prefix: String,
    /// Where the table starts, for problems about keys that are missing.
    line: Option<usize>,
    asked: Vec<String>,
}

impl<'a> TableCursor<'a> {
    pub(super) fn root(table: &'a toml_edit::Table) -> Self {
        TableCursor {
            table,
            prefix: String::new(),
            line: None,
            asked: Vec::new(),
        }
    }

    pub(super) fn has(&self, key: &str) -> bool {
        self.table.get_key_value(key).is_some()
    }

    /// A string value without marking the key as read.
    pub(super) fn peek_str(&self, key: &str) -> Option<&'a str> {
        self.table
            .get_key_value(key)
            .and_then(|(_, item)| item.as_str())
    }

    fn full_key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn ask(&mut self, key: &str) -> Option<&'a Item> {
        self.asked.push(key.to_owned());
        self.table.get_key_value(key).map(|(_, item)| item)
    }
}

pub(super) struct Reader<'t> {
    file: &'t Path,
    text: &'t str,
    base_dir: &'t Path,
    problems: Vec<Problem>,
}

impl<'t> Reader<'t> {
    pub(super) fn new(file: &'t Path, text: &'t str, base_dir: &'t Path) -> Self {
        Reader {
            file,
            text,
            base_dir,
            problems: Vec::new(),
        }
    }

    /// The configuration file's folder: relative paths and local device
    /// profiles are found from here.
    pub(super) fn base_dir(&self) -> &'t Path {
        self.base_dir
    }

    pub(super) fn into_problems(mut self) -> Vec<Problem> {
        self.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        self.problems
    }

    fn line_of_key(&self, t: &TableCursor, key: &str) -> Option<usize> {
        let (k, item) = t.table.get_key_value(key)?;
        let offset = k.span().or_else(|| item.span())?.start;
        Some(line_of(self.text, offset))
    }

    fn line_of_value(&self, t: &TableCursor, key: &str) -> Option<usize> {
        let (_, item) = t.table.get_key_value(key)?;
        match item.span() {
            Some(span) => Some(line_of(self.text, span.start)),
            None => self.line_of_key(t, key),
        }
    }

    fn push(&mut self, line: Option<usize>, key: String, message: String) {
        self.problems.push(Problem {
            file: self.file.to_path_buf(),
            line,
            key,
            message,
        });
    }

    pub(super) fn problem_at(&mut self, t: &TableCursor, key: &str, message: String) {
        let line = self.line_of_value(t, key);
        self.push(line, t.full_key(key), message);
    }

    pub(super) fn missing(&mut self, t: &TableCursor, key: &str) {
        let line = t.line;
        self.push(line, t.full_key(key), "is required but missing".to_owned());
    }

    fn wrong_type(&mut self, t: &TableCursor, key: &str, expected: &str, item: &Item) {
        let message = format!("must be {expected}, not {}", article(item.type_name()));
        self.problem_at(t, key, message);
    }

    pub(super) fn table<'a>(
        &mut self,
        parent: &mut TableCursor<'a>,
        key: &str,
    ) -> Option<TableCursor<'a>> {
        let item = parent.ask(key)?;
        match item.as_table_like() {
            Some(table) => Some(TableCursor {
                table,
                prefix: parent.full_key(key),
                line: self.line_of_key(parent, key),
                asked: Vec::new(),
            }),
            None => {
                self.wrong_type(parent, key, "a table", item);
                None
            }
        }
    }

    pub(super) fn array_of_tables<'a>(
        &mut self,
        parent: &mut TableCursor<'a>,
        key: &str,
    ) -> Vec<TableCursor<'a>> {
        let Some(item) = parent.ask(key) else {
            return Vec::new();
        };
        let Some(array) = item.as_array_of_tables() else {
            self.wrong_type(
                parent,
                key,
                &format!("an array of tables ([[{key}]])"),
                item,
            );
            return Vec::new();
        };
        array
            .iter()
            .enumerate()
            .map(|(i, table)| TableCursor {
                table,
                prefix: format!("{}[{i}]", parent.full_key(key)),
                line: table.span().map(|s| line_of(self.text, s.start)),
                asked: Vec::new(),
            })
            .collect()
    }

    /// A string value, checked and converted by `convert`; `expectation` says what
    /// a good value looks like when `convert` refuses it.
    pub(super) fn parsed<T>(
        &mut self,
        t: &mut TableCursor,
        key: &str,
        expectation: &str,
        convert: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let item = t.ask(key)?;
        let Some(value) = item.as_str() else {
            self.wrong_type(t, key, "a string", item);
            return None;
        };
        let converted = convert(value);
        if converted.is_none() {
            self.problem_at(t, key, format!("is {value:?}, which is not {expectation}"));
        }
        converted
    }

    pub(super) fn parsed_integer<T>(
        &mut self,
        t: &mut TableCursor,
        key: &str,
        expectation: &str,
        convert: impl FnOnce(i64) -> Option<T>,
    ) -> Option<T> {
        let item = t.ask(key)?;
        let Some(value) = item.as_integer() else {
            self.wrong_type(t, key, "an integer", item);
            return None;
        };
        let converted = convert(value);
        if converted.is_none() {
            self.problem_at(t, key, format!("is {value}, which is not {expectation}"));
        }
        converted
    }

    pub(super) fn boolean(&mut self, t: &mut TableCursor, key: &str) -> Option<bool> {
        let item = t.ask(key)?;
        let value = item.as_bool();
        if value.is_none() {
            self.wrong_type(t, key, "true or false", item);
        }
        value
    }

    pub(super) fn integer(
        &mut self,
        t: &mut TableCursor,
        key: &str,
        min: i64,
        max: i64,
        what: &str,
    ) -> Option<i64> {
        self.parsed_integer(t, key, what, |n| (min..=max).contains(&n).then_some(n))
    }

    /// A filesystem path; relative paths are taken from the config file's folder
    /// so a config means the same thing whatever the working directory.
    pub(super) fn path(&mut self, t: &mut TableCursor, key: &str) -> Option<PathBuf> {
        let base = self.base_dir;
        self.parsed(t, key, "a path", |s| {
            if s.trim().is_empty() || s.contains('\0') {
                return None;
            }
            let p = Path::new(s);
            Some(if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            })
        })
    }

    /// Reports a `name` that an earlier table of the same array already uses.
    pub(super) fn unique_names(&mut self, tables: &[TableCursor]) {
        let mut seen: Vec<&str> = Vec::new();
        for t in tables {
            let Some(name) = t.peek_str("name") else {
                continue;
            };
            if seen.contains(&name) {
                let line = self.line_of_value(t, "name");
                self.push(
                    line,
                    t.full_key("name"),
                    format!(
                        "is {name:?}, which an earlier entry already uses; names must be unique"
                    ),
                );
            }
            seen.push(name);
        }
    }

    /// Reports every key of `t` that nothing asked for.
    pub(super) fn finish(&mut self, t: TableCursor) {
        for (key, _) in t.table.iter() {
            if t.asked.iter().any(|a| a == key) {
                continue;
            }
            let suggestion = t
                .asked
                .iter()
                .map(|known| (strsim::jaro_winkler(known, key), known))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, known)| format!("; did you mean {}?", t.full_key(known)))
                .unwrap_or_default();
            let line = self.line_of_key(&t, key);
            self.push(
                line,
                t.full_key(key),
                format!("is not a known key{suggestion}"),
            );
        }
    }
}

fn article(type_name: &str) -> String {
    match type_name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {type_name}"),
        _ => format!("a {type_name}"),
    }
}
