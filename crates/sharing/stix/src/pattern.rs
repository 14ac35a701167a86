//! A parser for STIX 2.1 patterns, and the subset Chainward turns into watchlist entries.
//!
//! [`parse_pattern`] reads the whole STIX patterning grammar (observation expressions with
//! `AND`/`OR`/`FOLLOWEDBY` and qualifiers; comparison expressions with every operator and
//! literal), so any syntax error is reported with its byte offset instead of a panic.
//! [`Pattern::wallet_terms`] then extracts the addresses of the forms Chainward imports:
//!
//! - `[cryptocurrency-wallet:value = '…']`, `[cryptocurrency-wallet:value IN ('…', '…')]`;
//! - `OR` of those, inside one observation or between observations;
//! - `AND` of one such test with tests that pin the chain (`x_chainward_chain`, `chain`,
//!   `network`, `symbol`, `currency` with `=`), e.g.
//!   `[cryptocurrency-wallet:value = 'T…' AND cryptocurrency-wallet:x_chainward_chain = 'tron']`;
//! - the legacy property `cryptocurrency-wallet:address` (muchdogesec's schema before October
//!   2025).
//!
//! Anything else (another object type, `!=`, `LIKE`, `NOT`, qualifiers, `AND`/`FOLLOWEDBY`
//! between observations) is "unsupported": a watchlist cannot honour the extra condition, and
//! listing the address without it would flag more than the producer meant.

use std::fmt;

/// The deepest nesting of brackets and parentheses accepted (keeps recursion bounded).
pub const MAX_DEPTH: usize = 64;

/// A pattern syntax error at a byte offset (0-based) of the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// Byte offset in the pattern.
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.message, self.position)
    }
}

impl std::error::Error for PatternError {}

/// A parsed STIX pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// `[ comparison ]`.
    Observation(Comparison),
    /// `a AND b` (both observed).
    And(Box<Self>, Box<Self>),
    /// `a OR b`.
    Or(Box<Self>, Box<Self>),
    /// `a FOLLOWEDBY b`.
    FollowedBy(Box<Self>, Box<Self>),
    /// An observation expression with a qualifier.
    Qualified(Box<Self>, Qualifier),
}

/// An observation qualifier.
#[derive(Clone, Debug, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`.
    Within(String),
    /// `REPEATS n TIMES`.
    Repeats(String),
    /// `START t'…' STOP t'…'`.
    StartStop(String, String),
}

/// A comparison expression inside one observation.
#[derive(Clone, Debug, PartialEq)]
pub enum Comparison {
    /// One property test.
    Test(PropertyTest),
    /// `a AND b`.
    And(Box<Self>, Box<Self>),
    /// `a OR b`.
    Or(Box<Self>, Box<Self>),
}

/// `object-type:path [NOT] operator literal`, or `EXISTS object-type:path`.
#[derive(Clone, Debug, PartialEq)]
pub struct PropertyTest {
    /// The object type (`cryptocurrency-wallet`).
    pub object_type: String,
    /// The property path after the colon, as written (`value`, `hashes.'SHA-256'`).
    pub path: String,
    /// `NOT` before the operator.
    pub negated: bool,
    /// The operator.
    pub operator: Operator,
    /// The right-hand side (`Literal::None` for `EXISTS`).
    pub value: Literal,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `IN`.
    In,
    /// `LIKE`.
    Like,
    /// `MATCHES`.
    Matches,
    /// `ISSUBSET`.
    IsSubset,
    /// `ISSUPERSET`.
    IsSuperset,
    /// `EXISTS`.
    Exists,
}

impl Operator {
    fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::In => "IN",
            Self::Like => "LIKE",
            Self::Matches => "MATCHES",
            Self::IsSubset => "ISSUBSET",
            Self::IsSuperset => "ISSUPERSET",
            Self::Exists => "EXISTS",
        }
    }
}

/// A literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `'text'` (unescaped).
    String(String),
    /// An integer or float, as written.
    Number(String),
    /// `true` / `false`.
    Bool(bool),
    /// `t'…'`.
    Timestamp(String),
    /// `h'…'`.
    Hex(String),
    /// `b'…'`.
    Binary(String),
    /// `( a, b, … )`.
    Set(Vec<Self>),
    /// No right-hand side (`EXISTS`).
    None,
}

/// One address an indicator's pattern names, with the chain the pattern pins, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletTerm {
    /// The address as written in the pattern.
    pub value: String,
    /// The chain or ticker the pattern gives (`tron`, `ethereum`, `BTC`), if any.
    pub chain: Option<String>,
}

/// The STIX type of a wallet.
pub const WALLET_TYPE: &str = "cryptocurrency-wallet";
const VALUE_PROPERTIES: [&str; 2] = ["value", "address"];
const CHAIN_PROPERTIES: [&str; 5] = ["x_chainward_chain", "chain", "network", "symbol", "currency"];

impl Pattern {
    /// The addresses this pattern lists, when it is of a form a watchlist can hold (see the
    /// module docs).
    ///
    /// # Errors
    /// Why the pattern is unsupported, in plain words.
    pub fn wallet_terms(&self) -> Result<Vec<WalletTerm>, String> {
        let mut terms = Vec::new();
        self.collect(&mut terms)?;
        Ok(terms)
    }

    fn collect(&self, out: &mut Vec<WalletTerm>) -> Result<(), String> {
        match self {
            Self::Observation(comparison) => comparison.collect(out),
            Self::Or(a, b) => {
                a.collect(out)?;
                b.collect(out)
            }
            Self::And(..) => Err("AND between observations (both must be seen) cannot be a \
                                  watchlist entry"
                .into()),
            Self::FollowedBy(..) => Err("FOLLOWEDBY cannot be a watchlist entry".into()),
            Self::Qualified(..) => {
                Err("qualifiers (WITHIN, REPEATS, START/STOP) cannot be a watchlist entry".into())
            }
        }
    }
}

impl Comparison {
    fn collect(&self, out: &mut Vec<WalletTerm>) -> Result<(), String> {
        match self {
            Self::Or(a, b) => {
                a.collect(out)?;
                b.collect(out)
            }
            Self::Test(test) => {
                let values = test.wallet_values()?.ok_or_else(|| {
                    format!(
                        "the test on {}:{} names no wallet address",
                        test.object_type, test.path
                    )
                })?;
                out.extend(values.into_iter().map(|value| WalletTerm { value, chain: None }));
                Ok(())
            }
            Self::And(..) => {
                let mut tests = Vec::new();
                self.conjuncts(&mut tests)?;
                let mut values: Option<Vec<String>> = None;
                let mut chain: Option<String> = None;
                for test in tests {
                    if let Some(found) = test.wallet_values()? {
                        values = Some(match values {
                            None => found,
                            Some(previous) => {
                                previous.into_iter().filter(|v| found.contains(v)).collect()
                            }
                        });
                    } else if let Some(found) = test.chain_value() {
                        if chain.as_ref().is_some_and(|c| c != &found) {
                            return Err("the pattern pins two different chains".into());
                        }
                        chain = Some(found);
                    } else {
                        return Err(format!(
                            "AND with a test on {}:{} (a watchlist can only honour the address \
                             and its chain)",
                            test.object_type, test.path
                        ));
                    }
                }
                let values = values.ok_or("the AND expression names no wallet address")?;
                out.extend(
                    values.into_iter().map(|value| WalletTerm { value, chain: chain.clone() }),
                );
                Ok(())
            }
        }
    }

    fn conjuncts<'a>(&'a self, out: &mut Vec<&'a PropertyTest>) -> Result<(), String> {
        match self {
            Self::Test(test) => {
                out.push(test);
                Ok(())
            }
            Self::And(a, b) => {
                a.conjuncts(out)?;
                b.conjuncts(out)
            }
            Self::Or(..) => Err("OR nested inside AND is not supported".into()),
        }
    }
}

impl PropertyTest {
    /// `Some(addresses)` for a supported test on the wallet's value; `None` when it tests
    /// another property of a wallet; an error for anything unsupported.
    fn wallet_values(&self) -> Result<Option<Vec<String>>, String> {
        if self.object_type != WALLET_TYPE {
            return Err(format!(
                "the pattern tests '{}' objects; only {WALLET_TYPE} is imported",
                self.object_type
            ));
        }
        if !VALUE_PROPERTIES.contains(&self.path.as_str()) {
            return Ok(None);
        }
        if self.negated {
            return Err("NOT on the wallet address cannot be a watchlist entry".into());
        }
        match (&self.operator, &self.value) {
            (Operator::Eq, Literal::String(value)) => Ok(Some(vec![value.clone()])),
            (Operator::In, Literal::Set(items)) => items
                .iter()
                .map(|item| match item {
                    Literal::String(value) => Ok(value.clone()),
                    _ => Err("IN on the wallet address needs a set of strings".to_owned()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            (operator, _) => Err(format!(
                "operator {} on the wallet address is not supported (only = and IN with strings)",
                operator.as_str()
            )),
        }
    }

    fn chain_value(&self) -> Option<String> {
        match (&self.operator, &self.value, self.negated) {
            (Operator::Eq, Literal::String(value), false)
                if CHAIN_PROPERTIES.contains(&self.path.as_str()) =>
            {
                Some(value.clone())
            }
            _ => None,
        }
    }
}

/// Quotes a string as a STIX pattern literal (`'` and `\` escaped).
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The pattern of one wallet: `[cryptocurrency-wallet:value = '<value>']`.
pub fn wallet_pattern(value: &str) -> String {
    format!("[{WALLET_TYPE}:value = {}]", quote(value))
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Op(Operator),
    Keyword(&'static str),
    Path(String, String),
    Literal(Literal),
}

const KEYWORDS: [&str; 19] = [
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "EXISTS",
    "LAST",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "WITHIN",
    "REPEATS",
    "TIMES",
    "TRUE",
    "FALSE",
];

fn err<T>(position: usize, message: impl Into<String>) -> Result<T, PatternError> {
    Err(PatternError { position, message: message.into() })
}

/// Checks that brackets and parentheses pair up (outside string literals).
fn check_balance(text: &str) -> Result<(), PatternError> {
    let bytes = text.as_bytes();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return err(start, "unterminated string literal"),
                        Some(b'\\') => i += 2,
                        Some(b'\'') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            open @ (b'[' | b'(') => stack.push((open, i)),
            close @ (b']' | b')') => {
                let expected = if close == b']' { b'[' } else { b'(' };
                match stack.pop() {
                    Some((open, _)) if open == expected => {}
                    _ => {
                        let what = if close == b']' { "bracket" } else { "parenthesis" };
                        return err(i, format!("unbalanced {what}"));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    if let Some((open, position)) = stack.pop() {
        let what = if open == b'[' { "bracket" } else { "parenthesis" };
        return err(position, format!("unbalanced {what}"));
    }
    Ok(())
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn tokens(mut self) -> Result<Vec<(Token, usize)>, PatternError> {
        let mut out = Vec::new();
        loop {
            while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_whitespace() {
                self.pos += 1;
            }
            let start = self.pos;
            let Some(&byte) = self.bytes.get(self.pos) else { return Ok(out) };
            let token = match byte {
                b'[' => self.one(Token::LBracket),
                b']' => self.one(Token::RBracket),
                b'(' => self.one(Token::LParen),
                b')' => self.one(Token::RParen),
                b',' => self.one(Token::Comma),
                b'=' => {
                    self.pos += if self.bytes.get(start + 1) == Some(&b'=') { 2 } else { 1 };
                    Token::Op(Operator::Eq)
                }
                b'!' if self.bytes.get(start + 1) == Some(&b'=') => {
                    self.pos += 2;
                    Token::Op(Operator::Ne)
                }
                b'<' => match self.bytes.get(start + 1) {
                    Some(b'=') => self.two(Token::Op(Operator::Le)),
                    Some(b'>') => self.two(Token::Op(Operator::Ne)),
                    _ => self.one(Token::Op(Operator::Lt)),
                },
                b'>' => match self.bytes.get(start + 1) {
                    Some(b'=') => self.two(Token::Op(Operator::Ge)),
                    _ => self.one(Token::Op(Operator::Gt)),
                },
                b'\'' => Token::Literal(Literal::String(self.string()?)),
                b't' | b'h' | b'b' if self.bytes.get(start + 1) == Some(&b'\'') => {
                    self.pos += 1;
                    let body = self.string()?;
                    Token::Literal(match byte {
                        b't' => Literal::Timestamp(body),
                        b'h' => Literal::Hex(body),
                        _ => Literal::Binary(body),
                    })
                }
                b'-' | b'+' | b'.' | b'0'..=b'9' => Token::Literal(Literal::Number(self.number()?)),
                b if b.is_ascii_alphabetic() || b == b'_' => self.word()?,
                _ => {
                    let c = self.text[start..].chars().next().unwrap_or('?');
                    return err(start, format!("unexpected character '{c}'"));
                }
            };
            out.push((token, start));
        }
    }

    fn one(&mut self, token: Token) -> Token {
        self.pos += 1;
        token
    }

    fn two(&mut self, token: Token) -> Token {
        self.pos += 2;
        token
    }

    /// A quoted string starting at `self.pos` (the opening quote); escapes `\'` and `\\`.
    fn string(&mut self) -> Result<String, PatternError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chunk = self.pos;
        loop {
            match self.bytes.get(self.pos) {
                None => return err(start, "unterminated string literal"),
                Some(b'\'') => {
                    out.push_str(&self.text[chunk..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.text[chunk..self.pos]);
                    match self.bytes.get(self.pos + 1) {
                        Some(b'\'') => out.push('\''),
                        Some(b'\\') => out.push('\\'),
                        _ => {
                            return err(
                                self.pos,
                                "invalid escape in string literal (only \\' and \\\\)",
                            );
                        }
                    }
                    self.pos += 2;
                    chunk = self.pos;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn number(&mut self) -> Result<String, PatternError> {
        let start = self.pos;
        if matches!(self.bytes[self.pos], b'-' | b'+') {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            let fraction = self.pos;
            while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_digit() {
                self.pos += 1;
            }
            if fraction == self.pos {
                return err(start, "malformed number");
            }
        } else if digits_start == self.pos {
            return err(start, "malformed number");
        }
        Ok(self.text[start..self.pos].to_owned())
    }

    fn ident_end(&self, mut pos: usize) -> usize {
        while pos < self.bytes.len()
            && (self.bytes[pos].is_ascii_alphanumeric() || matches!(self.bytes[pos], b'_' | b'-'))
        {
            pos += 1;
        }
        pos
    }

    /// A keyword, a boolean, or an object path `type:component(.component|[index])*`.
    fn word(&mut self) -> Result<Token, PatternError> {
        let start = self.pos;
        let end = self.ident_end(start);
        let word = &self.text[start..end];
        if self.bytes.get(end) != Some(&b':') {
            self.pos = end;
            let upper = word.to_ascii_uppercase();
            return match KEYWORDS.iter().find(|k| **k == upper) {
                Some(&"TRUE") => Ok(Token::Literal(Literal::Bool(true))),
                Some(&"FALSE") => Ok(Token::Literal(Literal::Bool(false))),
                Some(keyword) => Ok(Token::Keyword(keyword)),
                None => err(
                    start,
                    format!("unexpected word '{word}' (an object path needs 'type:property')"),
                ),
            };
        }
        if let Err(message) = crate::id::check_type_name(word) {
            return err(start, format!("invalid object type in path: {message}"));
        }
        self.pos = end + 1;
        let path_start = self.pos;
        self.component(path_start)?;
        loop {
            match self.bytes.get(self.pos) {
                Some(b'.') => {
                    self.pos += 1;
                    self.component(self.pos)?;
                }
                Some(b'[') => {
                    let open = self.pos;
                    let mut i = open + 1;
                    if self.bytes.get(i) == Some(&b'*') {
                        i += 1;
                    } else {
                        if self.bytes.get(i) == Some(&b'-') {
                            i += 1;
                        }
                        let digits = i;
                        while i < self.bytes.len() && self.bytes[i].is_ascii_digit() {
                            i += 1;
                        }
                        if digits == i {
                            break;
                        }
                    }
                    if self.bytes.get(i) != Some(&b']') {
                        break;
                    }
                    self.pos = i + 1;
                }
                _ => break,
            }
        }
        Ok(Token::Path(word.to_owned(), self.text[path_start..self.pos].to_owned()))
    }

    fn component(&mut self, at: usize) -> Result<(), PatternError> {
        if self.bytes.get(at) == Some(&b'\'') {
            self.pos = at;
            self.string()?;
            return Ok(());
        }
        let end = self.ident_end(at);
        if end == at {
            return err(at, "expected a property name in the object path");
        }
        self.pos = end;
        Ok(())
    }
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    next: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(t, _)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(_, p)| *p)
    }

    fn keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Keyword(k)) if *k == keyword)
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).map(|(t, _)| t.clone());
        self.next += 1;
        token
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), PatternError> {
        if self.peek() == Some(token) {
            self.next += 1;
            Ok(())
        } else {
            err(self.position(), format!("expected {what}"))
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err(self.position(), format!("nested deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    fn observations(&mut self) -> Result<Pattern, PatternError> {
        self.enter()?;
        let mut left = self.observation_or()?;
        while self.keyword("FOLLOWEDBY") {
            self.next += 1;
            let right = self.observation_or()?;
            left = Pattern::FollowedBy(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn observation_or(&mut self) -> Result<Pattern, PatternError> {
        let mut left = self.observation_and()?;
        while self.keyword("OR") {
            self.next += 1;
            let right = self.observation_and()?;
            left = Pattern::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn observation_and(&mut self) -> Result<Pattern, PatternError> {
        let mut left = self.observation()?;
        while self.keyword("AND") {
            self.next += 1;
            let right = self.observation()?;
            left = Pattern::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn observation(&mut self) -> Result<Pattern, PatternError> {
        let mut observation = match self.peek() {
            Some(Token::LBracket) => {
                self.next += 1;
                let comparison = self.comparisons()?;
                self.expect(&Token::RBracket, "']' closing the observation expression")?;
                Pattern::Observation(comparison)
            }
            Some(Token::LParen) => {
                self.next += 1;
                let inner = self.observations()?;
                self.expect(&Token::RParen, "')'")?;
                inner
            }
            _ => {
                return err(
                    self.position(),
                    "expected '[' or '(' starting an observation expression",
                );
            }
        };
        loop {
            let qualifier = if self.keyword("WITHIN") {
                self.next += 1;
                let n = self.number("a number of seconds after WITHIN")?;
                self.expect(&Token::Keyword("SECONDS"), "SECONDS")?;
                Qualifier::Within(n)
            } else if self.keyword("REPEATS") {
                self.next += 1;
                let n = self.number("a count after REPEATS")?;
                self.expect(&Token::Keyword("TIMES"), "TIMES")?;
                Qualifier::Repeats(n)
            } else if self.keyword("START") {
                self.next += 1;
                let start = self.timestamp("a t'…' timestamp after START")?;
                self.expect(&Token::Keyword("STOP"), "STOP")?;
                let stop = self.timestamp("a t'…' timestamp after STOP")?;
                Qualifier::StartStop(start, stop)
            } else {
                return Ok(observation);
            };
            observation = Pattern::Qualified(Box::new(observation), qualifier);
        }
    }

    fn number(&mut self, what: &str) -> Result<String, PatternError> {
        match self.peek() {
            Some(Token::Literal(Literal::Number(n))) => {
                let n = n.clone();
                self.next += 1;
                Ok(n)
            }
            _ => err(self.position(), format!("expected {what}")),
        }
    }

    fn timestamp(&mut self, what: &str) -> Result<String, PatternError> {
        match self.peek() {
            Some(Token::Literal(Literal::Timestamp(t))) => {
                let t = t.clone();
                self.next += 1;
                Ok(t)
            }
            _ => err(self.position(), format!("expected {what}")),
        }
    }

    fn comparisons(&mut self) -> Result<Comparison, PatternError> {
        self.enter()?;
        let mut left = self.comparison_and()?;
        while self.keyword("OR") {
            self.next += 1;
            let right = self.comparison_and()?;
            left = Comparison::Or(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn comparison_and(&mut self) -> Result<Comparison, PatternError> {
        let mut left = self.test()?;
        while self.keyword("AND") {
            self.next += 1;
            let right = self.test()?;
            left = Comparison::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn test(&mut self) -> Result<Comparison, PatternError> {
        let position = self.position();
        match self.bump() {
            Some(Token::LParen) => {
                let inner = self.comparisons()?;
                self.expect(&Token::RParen, "')'")?;
                Ok(inner)
            }
            Some(Token::Keyword("EXISTS")) => match self.bump() {
                Some(Token::Path(object_type, path)) => Ok(Comparison::Test(PropertyTest {
                    object_type,
                    path,
                    negated: false,
                    operator: Operator::Exists,
                    value: Literal::None,
                })),
                _ => err(position, "expected an object path after EXISTS"),
            },
            Some(Token::Path(object_type, path)) => {
                let negated = self.keyword("NOT");
                if negated {
                    self.next += 1;
                }
                let op_position = self.position();
                let operator = match self.bump() {
                    Some(Token::Op(op)) => op,
                    Some(Token::Keyword("IN")) => Operator::In,
                    Some(Token::Keyword("LIKE")) => Operator::Like,
                    Some(Token::Keyword("MATCHES")) => Operator::Matches,
                    Some(Token::Keyword("ISSUBSET")) => Operator::IsSubset,
                    Some(Token::Keyword("ISSUPERSET")) => Operator::IsSuperset,
                    _ => return err(op_position, "expected a comparison operator"),
                };
                let value = if operator == Operator::In { self.set()? } else { self.literal()? };
                Ok(Comparison::Test(PropertyTest { object_type, path, negated, operator, value }))
            }
            _ => err(position, "expected an object path such as cryptocurrency-wallet:value"),
        }
    }

    fn literal(&mut self) -> Result<Literal, PatternError> {
        let position = self.position();
        match self.bump() {
            Some(Token::Literal(literal)) => Ok(literal),
            _ => err(position, "expected a literal value"),
        }
    }

    fn set(&mut self) -> Result<Literal, PatternError> {
        self.expect(&Token::LParen, "'(' starting the set after IN")?;
        let mut items = vec![self.literal()?];
        while self.peek() == Some(&Token::Comma) {
            self.next += 1;
            items.push(self.literal()?);
        }
        self.expect(&Token::RParen, "')' closing the set")?;
        Ok(Literal::Set(items))
    }
}

/// Parses a STIX 2.1 pattern.
///
/// # Errors
/// A [`PatternError`] with the byte offset of the problem (`unbalanced bracket at 17`).
pub fn parse_pattern(text: &str) -> Result<Pattern, PatternError> {
    check_balance(text)?;
    let tokens = Lexer { text, bytes: text.as_bytes(), pos: 0 }.tokens()?;
    if tokens.is_empty() {
        return err(0, "empty pattern");
    }
    let mut parser = Parser { tokens, next: 0, end: text.len(), depth: 0 };
    let pattern = parser.observations()?;
    if parser.next < parser.tokens.len() {
        return err(parser.position(), "unexpected text after the pattern");
    }
    Ok(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(pattern: &str) -> Result<Vec<String>, String> {
        parse_pattern(pattern)
            .map_err(|e| e.to_string())?
            .wallet_terms()
            .map(|t| t.into_iter().map(|t| t.value).collect())
    }

    #[test]
    fn wallet_forms() {
        let a = "0x2222222222222222222222222222222222222222";
        assert_eq!(terms(&wallet_pattern(a)).unwrap(), [a]);
        assert_eq!(
            terms("[cryptocurrency-wallet:value IN ('a1', 'b2')] OR [cryptocurrency-wallet:address == 'c3']")
                .unwrap(),
            ["a1", "b2", "c3"]
        );
        assert_eq!(
            terms("[cryptocurrency-wallet:value = 'a1' or cryptocurrency-wallet:value = 'b\\'2']")
                .unwrap(),
            ["a1", "b'2"]
        );
        let pinned = parse_pattern(
            "[cryptocurrency-wallet:value = 'T1' AND cryptocurrency-wallet:x_chainward_chain = 'tron']",
        )
        .unwrap()
        .wallet_terms()
        .unwrap();
        assert_eq!(pinned, [WalletTerm { value: "T1".into(), chain: Some("tron".into()) }]);
    }

    #[test]
    fn unsupported_forms_are_explained() {
        for (pattern, words) in [
            ("[file:hashes.'SHA-256' = 'ab']", "only cryptocurrency-wallet"),
            ("[cryptocurrency-wallet:value != 'a']", "operator !="),
            ("[cryptocurrency-wallet:value NOT = 'a']", "NOT"),
            (
                "[cryptocurrency-wallet:value = 'a'] AND [cryptocurrency-wallet:value = 'b']",
                "AND between",
            ),
            ("[cryptocurrency-wallet:value = 'a'] WITHIN 300 SECONDS", "qualifiers"),
            (
                "[cryptocurrency-wallet:value = 'a'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'",
                "qualifiers",
            ),
            (
                "[cryptocurrency-wallet:value = 'a' AND cryptocurrency-wallet:holder_ref = 'x']",
                "AND with",
            ),
            ("[cryptocurrency-wallet:value LIKE 'a%']", "LIKE"),
        ] {
            let error = terms(pattern).unwrap_err();
            assert!(error.contains(words), "{pattern}: {error}");
        }
    }

    #[test]
    fn syntax_errors_name_the_offset() {
        assert_eq!(
            parse_pattern("[cryptocurrency-wallet:value = 'a'").unwrap_err().to_string(),
            "unbalanced bracket at 0"
        );
        assert_eq!(
            parse_pattern("[cryptocurrency-wallet:value = 'a']]").unwrap_err().to_string(),
            "unbalanced bracket at 35"
        );
        for bad in [
            "",
            "   ",
            "[]",
            "[cryptocurrency-wallet:value = ]",
            "[cryptocurrency-wallet:value 'a']",
            "[cryptocurrency-wallet:value = 'a]",
            "[cryptocurrency-wallet:value = 'a\\x']",
            "[cryptocurrency-wallet: = 'a']",
            "[Wallet:value = 'a']",
            "[cryptocurrency-wallet:value = 'a'] OR",
            "[cryptocurrency-wallet:value IN 'a']",
            "[cryptocurrency-wallet:value = 'a'] WITHIN SECONDS",
            "[a:b = 1] x",
            "[cryptocurrency-wallet:value = 'é'] é",
            "[x-y:z = -]",
        ] {
            assert!(parse_pattern(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{}[a-b:c = 1]{}", "(".repeat(200), ")".repeat(200));
        assert!(parse_pattern(&deep).unwrap_err().message.contains("nested deeper"));
    }

    #[test]
    fn full_grammar_parses() {
        for good in [
            "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_port >= 443]",
            "([a-b:c = 1] OR [a-b:d MATCHES '^x']) FOLLOWEDBY [EXISTS a-b:e[*].f] WITHIN 10 SECONDS",
            "[a-b:c = true] REPEATS 5 TIMES",
            "[x-foo:bar ISSUBSET '10.0.0.0/8']",
            "[a-b:c = h'ff' OR a-b:d = b'AAAA' OR a-b:e = t'2020-01-01T00:00:00Z' OR a-b:f = -1.5]",
            "[a-b:c[0] NOT IN (1, 2, 3)]",
            "[EXISTS a-b:c]",
        ] {
            parse_pattern(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
    }
}
