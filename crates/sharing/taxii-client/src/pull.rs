//! Incremental pull: every object added to a collection since the last pull, exactly once.
//!
//! The cursor is the server's `date_added` (TAXII sorts by it, and `added_after` filters on
//! it). Two facts make a naive cursor lose or repeat objects:
//!
//! - many objects share one `date_added` (medallion gives every object of one POST the same;
//!   a millisecond clock gives two POSTs the same), and `added_after` is exclusive, so asking
//!   `added_after = <last date seen>` skips the objects at that date not read yet;
//! - some servers treat `added_after` as inclusive, so the same ask re-reads them.
//!
//! So [`PullState`] keeps, besides the last date, the `(id, version)` of the objects read at
//! that date. A pull asks from just *before* the last date (one microsecond earlier, so an
//! exclusive server answers "at or after") and drops what it has already read. TAXII-CLIENT.md
//! describes the fallbacks for servers that page without `next` or omit the date headers.

use crate::TaxiiError;
use crate::query::ObjectQuery;
use crate::resources::{Envelope, Manifest, Page};
use chainward_stix::{StixObject, parse_object};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;

/// One version of one object: its id and its `modified` (else `created`; `None` for objects
/// that have neither, such as most SCOs, which never change).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectVersion {
    /// The STIX id.
    pub id: String,
    /// The version, normalized to nanosecond precision (`…:00.000000000Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl ObjectVersion {
    /// The id and version of a STIX object in JSON, if it has an id.
    pub fn of(object: &Value) -> Option<Self> {
        let id = object.get("id")?.as_str()?.to_owned();
        let version = ["modified", "created"]
            .iter()
            .find_map(|k| object.get(*k).and_then(Value::as_str))
            .map(normalize_version);
        Some(Self { id, version })
    }
}

/// A timestamp in one spelling, so that `…00Z` and `…00.000Z` are the same version.
pub(crate) fn normalize_version(text: &str) -> String {
    text.parse::<jiff::Timestamp>().map_or_else(|_| text.to_owned(), |t| format!("{t:.9}"))
}

/// What the caller keeps between pulls of one collection (serialize it as JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullState {
    /// The latest `date_added` read, as the server spelled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_after: Option<String>,
    /// The objects read whose `date_added` may equal `added_after` (a superset: all objects
    /// of the pages that ended at that date). The next pull re-asks from that date and skips
    /// these.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub seen_at_cursor: BTreeSet<ObjectVersion>,
}

/// How to pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullOptions {
    /// `limit` per page (default 1,000; servers may return fewer).
    pub limit: Option<u32>,
    /// `match[type]` (default: every type).
    pub types: Vec<String>,
    /// Re-ask from the last date itself, not after it, and skip what was read (default true):
    /// objects a server adds later with the same `date_added` as the last one read are then
    /// not lost. Costs re-downloading the objects at that one date.
    pub reread_cursor_timestamp: bool,
    /// The most pages one pull reads (default 100,000).
    pub max_pages: u32,
    /// The largest `limit` the client grows to when more objects share one `date_added` than
    /// a page holds and the server gives no `next` (default 10,000).
    pub max_limit: u32,
}

impl Default for PullOptions {
    fn default() -> Self {
        Self {
            limit: Some(1000),
            types: Vec::new(),
            reread_cursor_timestamp: true,
            max_pages: 100_000,
            max_limit: 10_000,
        }
    }
}

/// An object of a pulled page that `chainward-stix` refused (reported, not fatal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedObject {
    /// Its id, when it has one.
    pub id: Option<String>,
    /// Why (`indicator--…: pattern: unbalanced bracket at 17`).
    pub error: String,
}

/// A fallback the pull used because the server did not behave as TAXII 2.1 says.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PullFallback {
    /// `more: true` without `next`: paged on with `added_after` from the last date read.
    MoreWithoutNext {
        /// The `added_after` sent next.
        added_after: String,
    },
    /// The server refused its own `next` (expired: medallion forgets it after 30 s): paged on
    /// with `added_after` from the last date read.
    NextRejected {
        /// The HTTP status of the refusal.
        status: u16,
        /// The `added_after` sent next.
        added_after: String,
    },
    /// A page without `X-TAXII-Date-Added-Last`: the dates of its objects were read from the
    /// manifest.
    DatesFromManifest {
        /// Objects whose date the manifest gave.
        resolved: usize,
        /// Objects it did not list (their date stays unknown).
        unresolved: usize,
    },
    /// More objects share one `date_added` than the server puts on a page and it gives no
    /// `next`: the limit was raised.
    LimitRaised {
        /// The new limit.
        limit: u32,
    },
    /// As above, and raising the limit did not help: paging went on after that date, so
    /// objects at it that were not read are skipped (reported, never silent).
    TieSkipped {
        /// The date.
        date_added: String,
    },
}

/// The result of a pull.
#[derive(Clone, Debug, Default)]
pub struct PullOutcome {
    /// The objects added since the previous pull, parsed, in the server's order.
    pub objects: Vec<StixObject>,
    /// Objects refused by validation.
    pub rejected: Vec<RejectedObject>,
    /// The state to keep for the next pull (store it once the objects are applied).
    pub new_state: PullState,
    /// Pages read.
    pub pages: u32,
    /// Objects the server sent again (already read) and that were skipped.
    pub repeats_skipped: u64,
    /// Fallbacks used (see [`PullFallback`]).
    pub fallbacks: Vec<PullFallback>,
}

/// What a pull reads from: a collection on a server (or a fake one in tests).
pub(crate) trait PageSource {
    fn objects(
        &self,
        query: &ObjectQuery,
    ) -> impl Future<Output = Result<Page<Envelope>, TaxiiError>> + Send;
    fn manifest(
        &self,
        query: &ObjectQuery,
    ) -> impl Future<Output = Result<Page<Manifest>, TaxiiError>> + Send;
}

/// A `date_added` as the server spelled it and as an instant.
#[derive(Clone, Debug)]
struct Cursor {
    text: String,
    instant: jiff::Timestamp,
}

impl Cursor {
    fn parse(text: &str) -> Option<Self> {
        Some(Self { text: text.to_owned(), instant: text.parse().ok()? })
    }

    /// One microsecond earlier, in TAXII's spelling: an exclusive `added_after` with it
    /// answers everything at or after this date.
    fn just_before(&self) -> String {
        let earlier =
            self.instant.checked_sub(jiff::SignedDuration::from_micros(1)).unwrap_or(self.instant);
        format!("{earlier:.6}")
    }
}

/// The dates of one page's objects.
enum PageDates {
    /// All at or before this date (the page's `X-TAXII-Date-Added-Last`).
    UpTo(Cursor),
    /// Each object's own date (from the manifest).
    Exact(Vec<(ObjectVersion, Cursor)>),
    /// Unknown.
    Unknown,
}

/// The pull's running position: the latest date read and what was read at it.
struct Position {
    cursor: Option<Cursor>,
    at_cursor: BTreeSet<ObjectVersion>,
}

impl Position {
    fn advance(&mut self, dates: PageDates, page: &[ObjectVersion]) {
        match dates {
            PageDates::UpTo(last) => self.see(last, page.iter().cloned()),
            PageDates::Exact(list) => {
                let Some(max) = list.iter().map(|(_, c)| c.clone()).max_by_key(|c| c.instant)
                else {
                    return;
                };
                let at: Vec<ObjectVersion> = list
                    .iter()
                    .filter(|(_, c)| c.instant == max.instant)
                    .map(|(v, _)| v.clone())
                    .collect();
                self.see(max, at);
            }
            PageDates::Unknown => {}
        }
    }

    fn see(&mut self, date: Cursor, objects: impl IntoIterator<Item = ObjectVersion>) {
        match &self.cursor {
            Some(current) if date.instant < current.instant => {}
            Some(current) if date.instant == current.instant => self.at_cursor.extend(objects),
            _ => {
                self.cursor = Some(date);
                self.at_cursor = objects.into_iter().collect();
            }
        }
    }

    /// The `added_after` to ask next: just before the latest date (or at it when `exact`).
    fn added_after(&self, exact: bool) -> Option<String> {
        self.cursor.as_ref().map(|c| if exact { c.text.clone() } else { c.just_before() })
    }
}

pub(crate) async fn pull_from<S: PageSource>(
    source: &S,
    state: &PullState,
    options: &PullOptions,
) -> Result<PullOutcome, TaxiiError> {
    let mut outcome = PullOutcome::default();
    let known = &state.seen_at_cursor;
    let mut position = Position { cursor: None, at_cursor: state.seen_at_cursor.clone() };
    let mut query = ObjectQuery {
        limit: options.limit,
        types: options.types.clone(),
        ..ObjectQuery::default()
    };
    if let Some(text) = &state.added_after {
        match Cursor::parse(text) {
            Some(cursor) => {
                position.cursor = Some(cursor);
                query.added_after = position.added_after(!options.reread_cursor_timestamp);
            }
            // Not a timestamp we can move: send it as it is.
            None => query.added_after = Some(text.clone()),
        }
    }
    let mut delivered: HashSet<ObjectVersion> = HashSet::new();
    let mut stalls = 0u32;
    // A server that refuses its `next` twice with nothing new read in between is paged by
    // date only from then on (otherwise it would loop on the same first page).
    let mut new_since_rejection: Option<usize> = None;
    let mut ignore_next = false;
    loop {
        if outcome.pages >= options.max_pages {
            return Err(TaxiiError::TooManyPages { url: "objects".into(), pages: outcome.pages });
        }
        outcome.pages += 1;
        let page = match source.objects(&query).await {
            Ok(page) => page,
            Err(error)
                if query.next.is_some() && matches!(error.http_status(), Some(400 | 404 | 410)) =>
            {
                if new_since_rejection == Some(0) {
                    ignore_next = true;
                }
                new_since_rejection = Some(0);
                let added_after = position.added_after(!options.reread_cursor_timestamp);
                tracing::warn!(%error, ?added_after, "TAXII server refused its own next; resuming by date");
                outcome.fallbacks.push(PullFallback::NextRejected {
                    status: error.http_status().unwrap_or(0),
                    added_after: added_after.clone().unwrap_or_default(),
                });
                query.next = None;
                query.added_after = added_after.or_else(|| query.added_after.clone());
                continue;
            }
            Err(error) => return Err(error),
        };
        let mut versions = Vec::with_capacity(page.body.objects.len());
        let mut new_on_page = 0usize;
        for raw in &page.body.objects {
            let Some(version) = ObjectVersion::of(raw) else {
                outcome
                    .rejected
                    .push(RejectedObject { id: None, error: "an object without an 'id'".into() });
                continue;
            };
            versions.push(version.clone());
            if known.contains(&version) || !delivered.insert(version.clone()) {
                outcome.repeats_skipped += 1;
                continue;
            }
            new_on_page += 1;
            match parse_object(raw) {
                Ok(object) => outcome.objects.push(object),
                Err(error) => outcome
                    .rejected
                    .push(RejectedObject { id: Some(version.id), error: error.to_string() }),
            }
        }
        let dates = match page.date_added.last.as_deref().and_then(Cursor::parse) {
            Some(last) => PageDates::UpTo(last),
            None if versions.is_empty() => PageDates::Unknown,
            None => {
                let dates = dates_from_manifest(source, &versions).await?;
                let resolved = dates.len();
                outcome.fallbacks.push(PullFallback::DatesFromManifest {
                    resolved,
                    unresolved: versions.len() - resolved,
                });
                if resolved == 0 { PageDates::Unknown } else { PageDates::Exact(dates) }
            }
        };
        position.advance(dates, &versions);
        if let Some(count) = &mut new_since_rejection {
            *count += new_on_page;
        }
        if !page.body.more {
            break;
        }
        if let Some(next) = page.body.next.filter(|n| !n.is_empty() && !ignore_next) {
            query.next = Some(next);
            stalls = 0;
            continue;
        }
        // `more` without `next`: page on by date (spec §3.4 allows it).
        query.next = None;
        let mut exact = !options.reread_cursor_timestamp;
        if new_on_page == 0 {
            // Nothing new: more objects share the last date than a page holds.
            stalls += 1;
            let limit = query.limit.unwrap_or(100);
            if stalls == 1 && limit < options.max_limit {
                let limit = limit.saturating_mul(2).min(options.max_limit);
                query.limit = Some(limit);
                outcome.fallbacks.push(PullFallback::LimitRaised { limit });
            } else if stalls <= 2 {
                exact = true;
                let date_added = position.added_after(true).unwrap_or_default();
                tracing::warn!(%date_added, "TAXII server pages without next and one date holds more than a page: skipping past it");
                outcome.fallbacks.push(PullFallback::TieSkipped { date_added });
            } else {
                tracing::warn!("TAXII server does not advance past one date; stopping this pull");
                break;
            }
        } else {
            stalls = 0;
        }
        let Some(added_after) = position.added_after(exact) else {
            // No date at all to page on with: stop rather than loop.
            tracing::warn!(
                "TAXII server said more without next and without dates; stopping this pull"
            );
            break;
        };
        if !matches!(outcome.fallbacks.last(), Some(PullFallback::MoreWithoutNext { .. })) {
            outcome
                .fallbacks
                .push(PullFallback::MoreWithoutNext { added_after: added_after.clone() });
        }
        query.added_after = Some(added_after);
    }
    outcome.new_state = match position.cursor {
        Some(cursor) => {
            PullState { added_after: Some(cursor.text), seen_at_cursor: position.at_cursor }
        }
        None => state.clone(),
    };
    Ok(outcome)
}

/// The `date_added` of each object version, from the manifest (`match[id]` in chunks of 50,
/// every version).
async fn dates_from_manifest<S: PageSource>(
    source: &S,
    versions: &[ObjectVersion],
) -> Result<Vec<(ObjectVersion, Cursor)>, TaxiiError> {
    let wanted: BTreeSet<&str> = versions.iter().map(|v| v.id.as_str()).collect();
    let wanted: Vec<&str> = wanted.into_iter().collect();
    let mut dates: HashMap<ObjectVersion, Cursor> = HashMap::new();
    let mut latest_by_id: HashMap<String, Cursor> = HashMap::new();
    for chunk in wanted.chunks(50) {
        let mut query = ObjectQuery {
            ids: chunk.iter().map(|s| (*s).to_owned()).collect(),
            versions: vec!["all".into()],
            ..ObjectQuery::default()
        };
        for _ in 0..1000 {
            let page = source.manifest(&query).await?;
            for record in &page.body.objects {
                let Some(cursor) = Cursor::parse(&record.date_added) else { continue };
                let key = ObjectVersion {
                    id: record.id.clone(),
                    version: Some(normalize_version(&record.version)),
                };
                let latest =
                    latest_by_id.entry(record.id.clone()).or_insert_with(|| cursor.clone());
                if cursor.instant > latest.instant {
                    *latest = cursor.clone();
                }
                dates.insert(key, cursor);
            }
            match page.body.next.filter(|_| page.body.more) {
                Some(next) => query.next = Some(next),
                None => break,
            }
        }
    }
    Ok(versions
        .iter()
        .filter_map(|v| {
            let date = match &v.version {
                Some(_) => dates.get(v),
                // No version of its own (an SCO): the server's only record of the id.
                None => latest_by_id.get(&v.id),
            };
            date.map(|d| (v.clone(), d.clone()))
        })
        .collect())
}

#[cfg(test)]
mod tests;
