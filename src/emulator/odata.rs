//! OData query options as the directory serves them: `$filter` (a parser for the subset the
//! directory supports: `eq`, `ne`, `ge`, `le`, `gt`, `lt`, `in`, `startswith`, `endswith`,
//! `not`, `and`, `or`, lambda `any`), `$select`, `$orderby`, `$top`, `$count`, `$search`, the
//! `ConsistencyLevel: eventual` rules, and paging by an opaque `$skiptoken` in an absolute
//! `@odata.nextLink`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::errors::{GraphError, GraphResult};
use super::util;

/// The decoded query string.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Name and value pairs, in order.
    pub params: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string.
    pub fn parse(raw: &str) -> Query {
        Query {
            params: url::form_urlencoded::parse(raw.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// A parameter by name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Whether the request carries `ConsistencyLevel: eventual`.
pub fn eventual(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
}

// ---------------------------------------------------------------------------------------------
// $filter

/// A literal in a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// `'text'` or a bare GUID.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A number.
    Num(f64),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `ge`
    Ge,
    /// `le`
    Le,
    /// `gt`
    Gt,
    /// `lt`
    Lt,
}

/// A parsed `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Both.
    And(Box<Filter>, Box<Filter>),
    /// Either.
    Or(Box<Filter>, Box<Filter>),
    /// Negation.
    Not(Box<Filter>),
    /// `path op literal`.
    Cmp(String, Op, Lit),
    /// `path in (literals)`.
    In(String, Vec<Lit>),
    /// `startswith(path, 'x')` (true) or `endswith` (false).
    Affix(bool, String, String),
    /// `path/any(v: condition)`.
    Any(String, String, Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
    Comma,
    Colon,
}

fn tokenize(input: &str) -> GraphResult<Vec<Tok>> {
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            ':' => {
                out.push(Tok::Colon);
                i += 1;
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(filter_error("a quoted string is not closed")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(s));
            }
            _ if c.is_alphanumeric() || "_./-@$+#".contains(c) => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || "_./-@$+#".contains(chars[i]))
                {
                    i += 1;
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            }
            _ => {
                return Err(filter_error(&format!(
                    "the character '{c}' is not expected"
                )));
            }
        }
    }
    Ok(out)
}

fn filter_error(what: &str) -> GraphError {
    GraphError::bad_request(format!("Invalid filter clause: {what}."))
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, tok: Tok) -> GraphResult<()> {
        if self.next() == Some(tok.clone()) {
            Ok(())
        } else {
            Err(filter_error(&format!("expected {tok:?}")))
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> GraphResult<Filter> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> GraphResult<Filter> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> GraphResult<Filter> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(filter_error("the clause is nested too deeply"));
        }
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> GraphResult<Filter> {
        if self.keyword("not") {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        match self.next() {
            Some(Tok::Open) => {
                let inner = self.or()?;
                self.expect(Tok::Close)?;
                Ok(inner)
            }
            Some(Tok::Word(word)) => {
                let lower = word.to_ascii_lowercase();
                if (lower == "startswith" || lower == "endswith") && self.peek() == Some(&Tok::Open)
                {
                    self.pos += 1;
                    let path = self.path()?;
                    self.expect(Tok::Comma)?;
                    let value = match self.next() {
                        Some(Tok::Str(s)) => s,
                        _ => return Err(filter_error("startswith/endswith need a quoted string")),
                    };
                    self.expect(Tok::Close)?;
                    return Ok(Filter::Affix(lower == "startswith", path, value));
                }
                if (lower.ends_with("/any") || lower.ends_with("/all"))
                    && self.peek() == Some(&Tok::Open)
                {
                    if lower.ends_with("/all") {
                        return Err(GraphError::unsupported_query(
                            "The lambda operator 'all' is not supported.",
                        ));
                    }
                    self.pos += 1;
                    let path = word[..word.len() - 4].to_owned();
                    let var = match self.next() {
                        Some(Tok::Word(v)) => v,
                        _ => return Err(filter_error("a lambda needs a variable")),
                    };
                    self.expect(Tok::Colon)?;
                    let inner = self.or()?;
                    self.expect(Tok::Close)?;
                    return Ok(Filter::Any(path, var, Box::new(inner)));
                }
                let op = match self.next() {
                    Some(Tok::Word(op)) => op.to_ascii_lowercase(),
                    _ => return Err(filter_error("an operator is missing")),
                };
                if op == "in" {
                    self.expect(Tok::Open)?;
                    let mut values = vec![self.literal()?];
                    while self.peek() == Some(&Tok::Comma) {
                        self.pos += 1;
                        values.push(self.literal()?);
                    }
                    self.expect(Tok::Close)?;
                    return Ok(Filter::In(word, values));
                }
                let op = match op.as_str() {
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "ge" => Op::Ge,
                    "le" => Op::Le,
                    "gt" => Op::Gt,
                    "lt" => Op::Lt,
                    other => {
                        return Err(filter_error(&format!(
                            "the operator '{other}' is not supported"
                        )));
                    }
                };
                Ok(Filter::Cmp(word, op, self.literal()?))
            }
            _ => Err(filter_error("a property or function is expected")),
        }
    }

    fn path(&mut self) -> GraphResult<String> {
        match self.next() {
            Some(Tok::Word(w)) => Ok(w),
            _ => Err(filter_error("a property name is expected")),
        }
    }

    fn literal(&mut self) -> GraphResult<Lit> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::Str(s)),
            Some(Tok::Word(w)) => {
                let lower = w.to_ascii_lowercase();
                if lower == "null" {
                    Ok(Lit::Null)
                } else if lower == "true" || lower == "false" {
                    Ok(Lit::Bool(lower == "true"))
                } else if let Ok(n) = w.parse::<f64>() {
                    Ok(Lit::Num(n))
                } else if uuid::Uuid::parse_str(&w).is_ok() {
                    Ok(Lit::Str(w))
                } else {
                    Err(filter_error(&format!("'{w}' is not a value")))
                }
            }
            _ => Err(filter_error("a value is expected")),
        }
    }
}

/// Parses a `$filter` value.
pub fn parse_filter(input: &str) -> GraphResult<Filter> {
    if input.len() > 8192 {
        return Err(filter_error("the clause is too long"));
    }
    let mut parser = Parser {
        toks: tokenize(input)?,
        pos: 0,
        depth: 0,
    };
    let filter = parser.or()?;
    if parser.pos != parser.toks.len() {
        return Err(filter_error("there is text after the end of the clause"));
    }
    Ok(filter)
}

impl Filter {
    /// Whether the filter needs the advanced query capabilities (`ConsistencyLevel: eventual`
    /// and `$count=true`).
    pub fn is_advanced(&self) -> bool {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => a.is_advanced() || b.is_advanced(),
            Filter::Not(_) => true,
            Filter::Cmp(_, Op::Ne, _) => true,
            Filter::Affix(starts, _, _) => !starts,
            Filter::Any(_, _, inner) => inner.is_advanced(),
            _ => false,
        }
    }

    /// Evaluates the filter against an object's properties.
    pub fn matches(&self, object: &Value) -> bool {
        self.eval(object, None)
    }

    fn eval(&self, object: &Value, var: Option<(&str, &Value)>) -> bool {
        match self {
            Filter::And(a, b) => a.eval(object, var) && b.eval(object, var),
            Filter::Or(a, b) => a.eval(object, var) || b.eval(object, var),
            Filter::Not(a) => !a.eval(object, var),
            Filter::Cmp(path, op, lit) => compare(resolve(object, path, var), *op, lit),
            Filter::In(path, lits) => {
                let v = resolve(object, path, var);
                lits.iter().any(|l| compare(v.clone(), Op::Eq, l))
            }
            Filter::Affix(starts, path, affix) => match resolve(object, path, var) {
                Value::String(s) => {
                    let (s, a) = (s.to_lowercase(), affix.to_lowercase());
                    if *starts {
                        s.starts_with(&a)
                    } else {
                        s.ends_with(&a)
                    }
                }
                _ => false,
            },
            Filter::Any(path, name, inner) => match resolve(object, path, var) {
                Value::Array(items) => items
                    .iter()
                    .any(|item| inner.eval(object, Some((name, item)))),
                _ => false,
            },
        }
    }
}

/// A property by path (`a/b`), case-insensitively; `var/x` reads the lambda variable.
fn resolve(object: &Value, path: &str, var: Option<(&str, &Value)>) -> Value {
    let mut parts = path.split('/');
    let first = parts.next().unwrap_or_default();
    let mut current = match var {
        Some((name, value)) if name == first => value.clone(),
        _ => get_ci(object, first),
    };
    for part in parts {
        current = get_ci(&current, part);
    }
    current
}

fn get_ci(object: &Value, name: &str) -> Value {
    match object {
        Value::Object(map) => map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn compare(value: Value, op: Op, lit: &Lit) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (&value, lit) {
        (Value::Null, Lit::Null) => Some(Ordering::Equal),
        (_, Lit::Null) | (Value::Null, _) => None,
        (Value::String(s), Lit::Str(l)) => Some(s.to_lowercase().cmp(&l.to_lowercase())),
        (Value::Bool(b), Lit::Bool(l)) => Some(b.cmp(l)),
        (Value::Number(n), Lit::Num(l)) => n.as_f64().and_then(|n| n.partial_cmp(l)),
        _ => None,
    };
    match op {
        Op::Eq => ordering == Some(Ordering::Equal),
        Op::Ne => ordering != Some(Ordering::Equal),
        Op::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
        Op::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => ordering == Some(Ordering::Greater),
        Op::Lt => ordering == Some(Ordering::Less),
    }
}

// ---------------------------------------------------------------------------------------------
// $select

/// Parses `$select` into property names.
pub fn select_list(query: &Query) -> Option<Vec<String>> {
    query.get("$select").map(|s| {
        s.split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    })
}

/// Checks that every selected name is a property the object type has.
pub fn check_select(
    select: &[String],
    known: &dyn Fn(&str) -> bool,
    type_name: &str,
) -> GraphResult<()> {
    for name in select {
        if !known(name) {
            return Err(GraphError::bad_request(format!(
                "The type '{type_name}' has no property named '{name}'."
            )));
        }
    }
    Ok(())
}

/// The properties of `props` named in `select` (case-insensitive, missing ones as `null`), or
/// the `defaults` when there is no `$select` (all of them when `defaults` is empty).
pub fn project(
    props: &Map<String, Value>,
    select: Option<&[String]>,
    defaults: &[&str],
) -> Map<String, Value> {
    let mut out = Map::new();
    match select {
        Some(names) => {
            for name in names {
                if name == "*" {
                    for (k, v) in props {
                        out.insert(k.clone(), v.clone());
                    }
                    continue;
                }
                match props.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                    Some((k, v)) => out.insert(k.clone(), v.clone()),
                    None => out.insert(name.clone(), Value::Null),
                };
            }
        }
        None if defaults.is_empty() => out = props.clone(),
        None => {
            for name in defaults {
                out.insert(
                    (*name).to_owned(),
                    props.get(*name).cloned().unwrap_or(Value::Null),
                );
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Paging

/// What a `$skiptoken` of a list page holds.
#[derive(Debug, Serialize, Deserialize)]
struct ListToken {
    o: usize,
}

/// Page size and position for a list request: (`$top` or the default, offset).
pub fn page_window(query: &Query, default_size: usize) -> GraphResult<(usize, usize)> {
    let size = match query.get("$top") {
        None => default_size,
        Some(top) => match top.trim().parse::<usize>() {
            Ok(n) if (1..=999).contains(&n) => n,
            _ => {
                return Err(GraphError::bad_request(format!(
                    "The page size '{top}' is not valid: $top must be between 1 and 999."
                )));
            }
        },
    };
    let offset = match query.get("$skiptoken") {
        None => 0,
        Some(token) => {
            util::decode_token::<ListToken>(token)
                .ok_or_else(|| GraphError::bad_request("The $skiptoken is not valid."))?
                .o
        }
    };
    Ok((size, offset))
}

/// The next-page link: the same URL with the `$skiptoken` for `offset`.
pub fn next_link(base: &str, raw_path: &str, raw_query: &str, offset: usize) -> String {
    let token = util::encode_token(&ListToken { o: offset });
    link_with(base, raw_path, raw_query, "$skiptoken", &token)
}

/// `base + path + query` with `name=value` replacing any existing `$skiptoken`/`$deltatoken`.
pub fn link_with(base: &str, raw_path: &str, raw_query: &str, name: &str, value: &str) -> String {
    let mut parts: Vec<&str> = raw_query
        .split('&')
        .filter(|p| {
            let key =
                util::percent_decode(p.split('=').next().unwrap_or_default()).to_ascii_lowercase();
            !p.is_empty() && key != "$skiptoken" && key != "$deltatoken"
        })
        .collect();
    let pair = format!("{name}={value}");
    parts.push(&pair);
    format!("{base}{raw_path}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_parse_and_match() {
        let user = json!({"displayName": "Adele", "onPremisesImmutableId": "abc=",
            "assignedLicenses": [{"skuId": "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"}], "mail": null});
        for (f, expect) in [
            ("startswith(displayName,'a')", true),
            ("onPremisesImmutableId eq 'abc='", true),
            ("mail eq null", true),
            ("displayName eq 'x' or displayName in ('adele','b')", true),
            (
                "assignedLicenses/any(u:u/skuId eq cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46)",
                true,
            ),
            ("not(displayName eq 'Adele')", false),
        ] {
            assert_eq!(parse_filter(f).unwrap().matches(&user), expect, "{f}");
        }
        assert!(parse_filter("displayName eq").is_err());
        assert!(parse_filter("(((((").is_err());
        assert!(parse_filter(&"not ".repeat(100)).is_err());
    }

    #[test]
    fn links_replace_tokens() {
        assert_eq!(
            link_with(
                "http://h",
                "/v1.0/users",
                "$top=5&$skiptoken=old",
                "$skiptoken",
                "new"
            ),
            "http://h/v1.0/users?$top=5&$skiptoken=new"
        );
    }
}
