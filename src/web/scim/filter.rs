//! SCIM filters (RFC 7644 §3.4.2.2), parsed and evaluated against a
//! resource's SCIM representation, so one evaluator serves Users, Groups and
//! PATCH paths with value filters (`members[value eq "…"]`).

use serde_json::Value;

pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const TETRA: &str = "urn:tocsin:params:scim:schemas:extension:tetra:2.0:User";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Present(Vec<String>),
    Compare(Vec<String>, Op, Value),
    /// `emails[type eq "work"]`: some element of the attribute matches.
    Within(Vec<String>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

/// Splits an attribute path (`name.givenName`, or with a schema URN in
/// front) into the keys it walks. An extension's attributes live under the
/// extension's URN; the core schema's are at the top.
pub fn attribute_path(path: &str) -> Vec<String> {
    for schema in [ENTERPRISE, TETRA] {
        if let Some(rest) = strip_prefix_ci(path, schema) {
            let mut keys = vec![schema.to_owned()];
            if let Some(rest) = rest.strip_prefix(':') {
                keys.extend(rest.split('.').map(str::to_owned));
            }
            return keys;
        }
    }
    let path = [CORE_USER, CORE_GROUP]
        .iter()
        .find_map(|schema| strip_prefix_ci(path, schema).and_then(|r| r.strip_prefix(':')))
        .unwrap_or(path);
    path.split('.').map(str::to_owned).collect()
}

fn strip_prefix_ci<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        value.get(prefix.len()..)
    } else {
        None
    }
}

/// A key of a JSON object, found without regard to case (SCIM attribute
/// names are case-insensitive).
pub fn key_of<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(name))
}

pub fn get_ci<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    key_of(object, name).and_then(|k| object.get(k))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn tokens(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '[' => {
                chars.next();
                out.push(Token::OpenBracket);
            }
            ']' => {
                chars.next();
                out.push(Token::CloseBracket);
            }
            '"' => {
                chars.next();
                let mut text = String::from("\"");
                let mut closed = false;
                while let Some(c) = chars.next() {
                    text.push(c);
                    match c {
                        '\\' => {
                            if let Some(next) = chars.next() {
                                text.push(next);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return Err(FilterError("a string is not closed".into()));
                }
                let value: String = serde_json::from_str(&text)
                    .map_err(|_| FilterError(format!("{text} is not a valid string")))?;
                out.push(Token::Str(value));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.next();
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.next();
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        if self.keyword("not") {
            self.next();
            return Ok(Filter::Not(Box::new(self.group()?)));
        }
        if self.peek() == Some(&Token::Open) {
            return self.group();
        }
        self.comparison()
    }

    fn group(&mut self) -> Result<Filter, FilterError> {
        if self.next() != Some(Token::Open) {
            return Err(FilterError("expected '('".into()));
        }
        let inner = self.or()?;
        if self.next() != Some(Token::Close) {
            return Err(FilterError("expected ')'".into()));
        }
        Ok(inner)
    }

    fn comparison(&mut self) -> Result<Filter, FilterError> {
        let Some(Token::Word(path)) = self.next() else {
            return Err(FilterError("expected an attribute name".into()));
        };
        let keys = attribute_path(&path);
        if self.peek() == Some(&Token::OpenBracket) {
            self.next();
            let inner = self.or()?;
            if self.next() != Some(Token::CloseBracket) {
                return Err(FilterError("expected ']'".into()));
            }
            return Ok(Filter::Within(keys, Box::new(inner)));
        }
        let Some(Token::Word(op)) = self.next() else {
            return Err(FilterError(format!("expected an operator after {path}")));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(keys)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => return Err(FilterError(format!("unknown operator {other:?}"))),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Value::String(s),
            Some(Token::Word(w)) => match w.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                number => serde_json::from_str::<serde_json::Number>(number)
                    .map(Value::Number)
                    .map_err(|_| FilterError(format!("{number:?} is not a value")))?,
            },
            _ => return Err(FilterError(format!("expected a value after {path}"))),
        };
        Ok(Filter::Compare(keys, op, value))
    }
}

pub fn parse(input: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser {
        tokens: tokens(input)?,
        at: 0,
    };
    let filter = parser.or()?;
    if parser.at < parser.tokens.len() {
        return Err(FilterError("unexpected text after the filter".into()));
    }
    Ok(filter)
}

/// The values an attribute path reaches, arrays flattened; a complex
/// multi-valued attribute compared as a whole compares its `value`.
fn values_at<'a>(resource: &'a Value, keys: &[String], out: &mut Vec<&'a Value>) {
    match resource {
        Value::Array(items) => {
            for item in items {
                values_at(item, keys, out);
            }
        }
        _ => match keys.split_first() {
            None => match resource {
                Value::Object(_) => {
                    if let Some(v) = get_ci(resource, "value") {
                        out.push(v);
                    }
                }
                Value::Null => {}
                v => out.push(v),
            },
            Some((first, rest)) => {
                if let Some(v) = get_ci(resource, first) {
                    values_at(v, rest, out);
                }
            }
        },
    }
}

/// Ids, externalId and member references are case-exact (RFC 7643); other
/// strings compare without regard to case.
fn case_exact(keys: &[String]) -> bool {
    keys.last().is_some_and(|k| {
        ["id", "externalId", "value", "$ref"]
            .iter()
            .any(|e| e.eq_ignore_ascii_case(k))
    }) && !keys.iter().any(|k| k.eq_ignore_ascii_case("emails"))
}

fn compare(found: &Value, op: Op, wanted: &Value, exact: bool) -> bool {
    match (found, wanted) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = if exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            match op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                Op::Co => a.contains(&b),
                Op::Sw => a.starts_with(&b),
                Op::Ew => a.ends_with(&b),
                Op::Gt => a > b,
                Op::Ge => a >= b,
                Op::Lt => a < b,
                Op::Le => a <= b,
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            match op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                Op::Gt => a > b,
                Op::Ge => a >= b,
                Op::Lt => a < b,
                Op::Le => a <= b,
                Op::Co | Op::Sw | Op::Ew => false,
            }
        }
        (Value::Bool(a), Value::Bool(b)) => match op {
            Op::Eq => a == b,
            Op::Ne => a != b,
            _ => false,
        },
        _ => false,
    }
}

pub fn matches(filter: &Filter, resource: &Value) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, resource) && matches(b, resource),
        Filter::Or(a, b) => matches(a, resource) || matches(b, resource),
        Filter::Not(a) => !matches(a, resource),
        Filter::Present(keys) => {
            let mut found = Vec::new();
            values_at(resource, keys, &mut found);
            found.iter().any(|v| match v {
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => true,
            })
        }
        Filter::Compare(keys, op, wanted) => {
            let mut found = Vec::new();
            values_at(resource, keys, &mut found);
            let exact = case_exact(keys);
            match op {
                Op::Ne => !found.iter().any(|v| compare(v, Op::Eq, wanted, exact)),
                Op::Eq if wanted.is_null() => found.is_empty(),
                _ => found.iter().any(|v| compare(v, *op, wanted, exact)),
            }
        }
        Filter::Within(keys, inner) => {
            let mut current = Some(resource);
            for key in keys {
                current = current.and_then(|v| get_ci(v, key));
            }
            match current {
                Some(Value::Array(items)) => items.iter().any(|item| matches(inner, item)),
                Some(item @ Value::Object(_)) => matches(inner, item),
                _ => false,
            }
        }
    }
}

/// `userName eq "x"` alone: the one filter identity providers send before
/// each create, answered from the username index rather than a scan.
pub fn user_name_equals(filter: &Filter) -> Option<&str> {
    match filter {
        Filter::Compare(keys, Op::Eq, Value::String(name))
            if keys.len() == 1 && keys.iter().all(|k| k.eq_ignore_ascii_case("userName")) =>
        {
            Some(name)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_match_as_the_rfc_describes() {
        let user = json!({
            "userName": "Alice@Example.com",
            "externalId": "ABC",
            "displayName": "Alice Smith",
            "emails": [{"value": "alice@example.com", "type": "work", "primary": true}],
            "active": true,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Fire"}
        });
        for (f, want) in [
            (r#"userName eq "alice@example.com""#, true),
            (r#"externalId eq "abc""#, false),
            (r#"externalId eq "ABC""#, true),
            (r#"displayName co "smith""#, true),
            (r#"userName sw "alice" and displayName co "Smith""#, true),
            (r#"emails.value eq "ALICE@example.com""#, true),
            (r#"emails[type eq "work" and value co "alice"]"#, true),
            (r#"emails pr"#, true),
            (r#"title pr"#, false),
            (r#"not (active eq true) or userName ew ".org""#, false),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "fire""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "ali""#,
                true,
            ),
        ] {
            assert_eq!(matches(&parse(f).unwrap(), &user), want, "{f}");
        }
        for bad in [
            "userName",
            "userName xx \"a\"",
            "(userName eq \"a\"",
            "userName eq \"a",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
