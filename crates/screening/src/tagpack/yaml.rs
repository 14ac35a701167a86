//! A small YAML tree read with serde-saphyr, where every node knows its line.
//!
//! TagPacks are read into this tree rather than into derived structs because one bad tag must not
//! sink the pack: a derived struct turns a wrong type anywhere into an error for the whole
//! document, while the tree lets the caller judge each tag on its own and name its line.
//!
//! Plain scalars that YAML resolves to numbers or booleans also keep their source text (through
//! their byte span), so an unquoted `0x00…` address or a label such as `1.10` is read exactly as
//! written instead of as the number YAML would make of it.
//!
//! Memory: serde-saphyr's budget bounds parser events, depth and alias replay, but an alias of a
//! large anchored node is materialised again at every use. The tree therefore charges what it
//! allocates against an allowance proportional to the input (see [`parse`]), so a hostile file
//! fails with an error instead of exhausting memory.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, DuplicateKeyPolicy, Options, Spanned};
use std::cell::Cell;
use std::fmt;

/// A node and where it is.
#[derive(Debug)]
pub(crate) struct Node {
    /// 1-based line where the node is used (for an alias: the alias, not the anchor). A mapping
    /// key has its value's line.
    pub(crate) line: u64,
    /// Byte range of a scalar's source text, when the parser reports it.
    raw: Option<(usize, usize)>,
    pub(crate) value: Value,
}

/// The YAML data model, as far as TagPacks need it.
#[derive(Debug)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in document order, duplicates included (the caller decides what a repeat means).
    Map(Vec<(Node, Node)>),
}

/// Why a node is not text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotText {
    Null,
    Seq,
    Map,
}

impl NotText {
    pub(crate) const fn describe(self) -> &'static str {
        match self {
            Self::Null => "empty",
            Self::Seq => "a list, not text",
            Self::Map => "a mapping, not text",
        }
    }
}

impl Node {
    /// The node's text: a string as is, a number or boolean as written in the source.
    pub(crate) fn text<'a>(&'a self, src: &'a str) -> Result<&'a str, NotText> {
        match &self.value {
            Value::Str(s) => Ok(s),
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => Ok(self.source_text(src)),
            Value::Null => Err(NotText::Null),
            Value::Seq(_) => Err(NotText::Seq),
            Value::Map(_) => Err(NotText::Map),
        }
    }

    fn source_text<'a>(&self, src: &'a str) -> &'a str {
        self.raw
            .and_then(|(start, len)| src.get(start..start.checked_add(len)?))
            .map_or("", str::trim)
    }

    /// The entries of a mapping.
    pub(crate) fn as_map(&self) -> Option<&[(Self, Self)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// What kind of node this is, for messages.
    pub(crate) const fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "empty",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a number",
            Value::Float(_) => "a number",
            Value::Str(_) => "text",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The node as JSON: mapping keys become their text, numbers stay numbers where JSON can hold
    /// them and become their source text otherwise.
    pub(crate) fn to_json(&self, src: &str) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => i64::try_from(*i)
                .map(J::from)
                .or_else(|_| u64::try_from(*i).map(J::from))
                .unwrap_or_else(|_| J::String(self.source_text(src).to_owned())),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or_else(|| J::String(self.source_text(src).to_owned()), J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(|n| n.to_json(src)).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match k.text(src) {
                            Ok(t) => t.to_owned(),
                            Err(_) => k.to_json(src).to_string(),
                        };
                        (key, v.to_json(src))
                    })
                    .collect(),
            ),
        }
    }
}

/// The size charged for each node, on top of the text it owns.
const NODE_COST: usize = size_of::<(Node, Node)>() / 2 + 8;
/// The tree may cost this many times the input's size …
const ALLOWANCE_PER_INPUT_BYTE: usize = 24;
/// … plus this much …
const ALLOWANCE_BASE: usize = 64 << 20;
/// … and never more than this.
const ALLOWANCE_MAX: usize = 1 << 30;

thread_local! {
    /// Bytes the tree under construction may still allocate; see [`parse`].
    static ALLOWANCE: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn charge<E: de::Error>(bytes: usize) -> Result<(), E> {
    ALLOWANCE.with(|left| match left.get().checked_sub(bytes) {
        Some(rest) => {
            left.set(rest);
            Ok(())
        }
        None => Err(E::custom(
            "the document expands to more data than its size allows (alias amplification?)",
        )),
    })
}

/// Restores an unlimited allowance when parsing ends, however it ends.
struct AllowanceGuard;

impl AllowanceGuard {
    fn set(bytes: usize) -> Self {
        ALLOWANCE.with(|left| left.set(bytes));
        Self
    }
}

impl Drop for AllowanceGuard {
    fn drop(&mut self) {
        ALLOWANCE.with(|left| left.set(usize::MAX));
    }
}

/// A whole-document failure: where and what.
#[derive(Debug)]
pub(crate) struct YamlError {
    pub(crate) line: u64,
    pub(crate) message: String,
}

/// The parser options: generous enough for the largest public packs (a 4 MB, 50,000-tag BitMEX
/// shard is about 150,000 nodes), strict about what only hostile input does.
fn options(input_len: usize) -> Options {
    let mut budget = Budget::default();
    // Node and event counts scale with the input; alias replay does not add to them, and is
    // bounded separately below and by the allocation allowance.
    budget.max_nodes = input_len.saturating_add(100_000);
    budget.max_events = input_len.saturating_mul(2).saturating_add(200_000);
    budget.max_total_scalar_bytes = input_len.saturating_add(1 << 20);
    budget.max_documents = 2;
    budget.max_aliases = 10_000;
    budget.max_anchors = 10_000;
    budget.max_recorded_anchor_bytes = 16 << 20;
    // Every level of nesting costs tens of kilobytes of stack in a debug build (serde-saphyr's
    // frames and the span wrapper), and the limit trips only once the recursion is that deep:
    // 64 levels overflow a 2 MiB test thread. TagPacks need 4 levels (pack, tags, tag, context)
    // plus whatever a context nests.
    budget.max_depth = 20;
    budget.flow_nesting_limit = 20;

    let mut options = Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = 1_000_000;
    // Repeats reach the tree, where the caller reports them; real packs are read by PyYAML,
    // which lets the last one win, and a repeated key must not cost the whole pack.
    options.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    // YAML 1.1 booleans (`yes`, `on`, `n`) would turn labels into booleans; TagPacks only use
    // `true`/`false`.
    options.strict_booleans = true;
    options.emit_comments = false;
    options.with_snippet = false;
    options
}

/// Parses one YAML document into a tree.
///
/// # Errors
/// When the bytes are not UTF-8, not YAML, more than one document, or exceed the budgets.
pub(crate) fn parse(bytes: &[u8]) -> Result<(Node, &str), YamlError> {
    let src = std::str::from_utf8(bytes).map_err(|e| {
        let line = line_of_offset(bytes, e.valid_up_to());
        YamlError {
            line,
            message: format!("not UTF-8 (invalid byte at offset {})", e.valid_up_to()),
        }
    })?;
    let allowance = src
        .len()
        .saturating_mul(ALLOWANCE_PER_INPUT_BYTE)
        .saturating_add(ALLOWANCE_BASE)
        .min(ALLOWANCE_MAX);
    parse_str(src, allowance)
}

fn parse_str(src: &str, allowance: usize) -> Result<(Node, &str), YamlError> {
    let _guard = AllowanceGuard::set(allowance);
    let node = serde_saphyr::from_str_with_options::<Option<Node>>(src, options(src.len()))
        .map_err(|e| yaml_error(&e))?;
    Ok((node.unwrap_or(Node { line: 1, raw: None, value: Value::Null }), src))
}

fn line_of_offset(bytes: &[u8], offset: usize) -> u64 {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let newlines = before.iter().filter(|&&b| b == b'\n').count();
    u64::try_from(newlines).unwrap_or(u64::MAX).saturating_add(1)
}

fn yaml_error(e: &serde_saphyr::Error) -> YamlError {
    let line = e.location().map_or(0, |l| l.line());
    let rendered = e.to_string();
    // The rendering repeats the position we report separately.
    let message = rendered.lines().next().unwrap_or_default().trim().to_owned();
    YamlError { line, message: if message.is_empty() { rendered } else { message } }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        charge::<D::Error>(NODE_COST)?;
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        let span = spanned.defined.span();
        let raw = match (span.byte_offset(), span.byte_len()) {
            (Some(start), Some(len)) => usize::try_from(start).ok().zip(usize::try_from(len).ok()),
            _ => None,
        };
        Ok(Self { line: spanned.referenced.line(), raw, value: spanned.value })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        // Beyond i128 only the source text is worth keeping, and that is kept anyway.
        Ok(Value::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        charge::<E>(v.len())?;
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        charge::<E>(v.len())?;
        Ok(Value::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        charge::<E>(v.len())?;
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        // Keys are read without a span: spans cost as much again as the rest of the parse, and
        // a key sits on its value's line except for a block collection or an empty value, which
        // start on the next line.
        while let Some(key) = map.next_key::<Value>()? {
            charge::<A::Error>(NODE_COST)?;
            let value = map.next_value::<Node>()?;
            // Without a span a typed key has no source text; keys are only ever read as text.
            let key = match key {
                Value::Bool(b) => Value::Str(b.to_string()),
                Value::Int(i) => Value::Str(i.to_string()),
                Value::Float(f) => Value::Str(f.to_string()),
                other => other,
            };
            entries.push((Node { line: value.line, raw: None, value: key }, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(yaml: &str) -> (Node, String) {
        let (node, src) = parse(yaml.as_bytes()).expect("valid YAML");
        (node, src.to_owned())
    }

    #[test]
    fn lines_and_raw_text() {
        let yaml = "a: 1\nb:\n  - x\n  - 0x00ff\n  - {k: 1.10}\nc: yes\n";
        let (root, src) = parse_ok(yaml);
        let map = root.as_map().expect("mapping");
        assert_eq!(map.len(), 3);
        assert_eq!(map[0].0.line, 1);
        assert_eq!(map[0].1.text(&src), Ok("1"));
        let Value::Seq(items) = &map[1].1.value else { panic!("b is a list") };
        assert_eq!(items.iter().map(|n| n.line).collect::<Vec<_>>(), [3, 4, 5]);
        assert!(matches!(items[1].value, Value::Int(255)));
        assert_eq!(items[1].text(&src), Ok("0x00ff"));
        let inner = items[2].as_map().expect("mapping");
        assert_eq!(inner[0].1.text(&src), Ok("1.10"));
        // YAML 1.1 booleans stay text.
        assert_eq!(map[2].1.text(&src), Ok("yes"));
        assert!(matches!(&map[2].1.value, Value::Str(s) if s == "yes"));
    }

    #[test]
    fn syntax_error_has_line() {
        let err = parse(b"a: 1\nb: [unclosed\nc: 3\n").expect_err("invalid YAML");
        assert!(err.line >= 2, "{err:?}");
        assert!(!err.message.is_empty());
    }

    #[test]
    fn duplicates_reach_the_tree() {
        let (root, _) = parse_ok("a: 1\na: 2\n");
        assert_eq!(root.as_map().map(<[_]>::len), Some(2));
    }

    #[test]
    fn alias_amplification_is_bounded() {
        // A billion-laughs style document: each level multiplies the previous by nine.
        let mut yaml = String::from(
            "a0: &a0 [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]\n",
        );
        for i in 1..10 {
            let p = i - 1;
            yaml.push_str(&format!(
                "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
            ));
        }
        let err = parse(yaml.as_bytes()).expect_err("amplification refused");
        assert!(err.message.contains("budget") || err.message.contains("allows"), "{err:?}");
    }

    #[test]
    fn the_allowance_bounds_the_tree() {
        // Seven nodes (the mapping, its key, the list, four items) and 20 bytes of text.
        let yaml = "tags: [aaaa, bbbb, cccc, dddd]";
        assert!(parse_str(yaml, 7 * NODE_COST + 20).is_ok());
        let err = parse_str(yaml, 7 * NODE_COST + 19).expect_err("over the allowance");
        assert!(err.message.contains("expands"), "{err:?}");
        // The allowance is per parse.
        assert!(parse_str(yaml, usize::MAX).is_ok());
        assert_eq!(ALLOWANCE.with(Cell::get), usize::MAX);
    }

    #[test]
    fn not_utf8() {
        let err = parse(b"a: 1\nb: \xff\n").expect_err("not UTF-8");
        assert_eq!(err.line, 2);
    }
}
