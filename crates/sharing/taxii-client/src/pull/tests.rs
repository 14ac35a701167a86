//! The pull against a fake server with each deviation switchable.

use super::*;
use crate::resources::{DateAddedRange, ManifestRecord};
use serde_json::json;
use std::sync::Mutex;

/// An in-memory collection: objects with their `date_added`, and how the server misbehaves.
#[derive(Default)]
struct Fake {
    objects: Mutex<Vec<(String, Value)>>,
    inclusive: bool,
    no_next: bool,
    no_headers: bool,
    reject_next: bool,
    max_page: Option<usize>,
}

fn stamp(second: u32) -> String {
    format!("2026-11-20T09:00:{second:02}.000000Z")
}

fn object(i: u32) -> Value {
    json!({
        "type": "identity", "spec_version": "2.1",
        "id": format!("identity--00000000-0000-4000-8000-{i:012x}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("org {i}")
    })
}

impl Fake {
    fn add(&self, second: u32, ids: std::ops::Range<u32>) {
        let mut objects = self.objects.lock().unwrap();
        objects.extend(ids.map(|i| (stamp(second), object(i))));
        objects.sort_by(|a, b| a.0.cmp(&b.0));
    }

    fn matching(&self, added_after: Option<&str>) -> Vec<(String, Value)> {
        let after = added_after.map(|a| a.parse::<jiff::Timestamp>().unwrap());
        self.objects
            .lock()
            .unwrap()
            .iter()
            .filter(|(date, _)| {
                let date: jiff::Timestamp = date.parse().unwrap();
                after.is_none_or(|a| if self.inclusive { date >= a } else { date > a })
            })
            .cloned()
            .collect()
    }
}

impl PageSource for Fake {
    async fn objects(&self, query: &ObjectQuery) -> Result<Page<Envelope>, TaxiiError> {
        if self.reject_next && query.next.is_some() {
            return Err(TaxiiError::Http {
                method: "GET".into(),
                url: "fake".into(),
                status: 400,
                error: None,
                body: "'next' not valid".into(),
            });
        }
        let all = self.matching(query.added_after.as_deref());
        let offset: usize = query.next.as_deref().map_or(0, |n| n.parse().unwrap());
        let limit = (query.limit.unwrap_or(100) as usize).min(self.max_page.unwrap_or(usize::MAX));
        let page: Vec<(String, Value)> = all.iter().skip(offset).take(limit).cloned().collect();
        let more = offset + page.len() < all.len();
        let date_added = if self.no_headers || page.is_empty() {
            DateAddedRange::default()
        } else {
            DateAddedRange {
                first: Some(page[0].0.clone()),
                last: Some(page[page.len() - 1].0.clone()),
            }
        };
        Ok(Page {
            body: Envelope {
                more,
                next: (more && !self.no_next).then(|| (offset + page.len()).to_string()),
                objects: page.into_iter().map(|(_, o)| o).collect(),
            },
            date_added,
        })
    }

    async fn manifest(&self, query: &ObjectQuery) -> Result<Page<Manifest>, TaxiiError> {
        let objects = self
            .matching(None)
            .into_iter()
            .filter(|(_, o)| query.ids.iter().any(|id| o["id"] == id.as_str()))
            .map(|(date, o)| ManifestRecord {
                id: o["id"].as_str().unwrap().into(),
                date_added: date,
                version: o["modified"].as_str().unwrap().into(),
                media_type: None,
            })
            .collect();
        Ok(Page {
            body: Manifest { more: false, next: None, objects },
            date_added: DateAddedRange::default(),
        })
    }
}

fn options(limit: u32) -> PullOptions {
    PullOptions { limit: Some(limit), ..PullOptions::default() }
}

async fn pull(fake: &Fake, state: &PullState, limit: u32) -> PullOutcome {
    pull_from(fake, state, &options(limit)).await.unwrap()
}

fn ids(outcome: &PullOutcome) -> Vec<String> {
    let mut ids: Vec<String> = outcome.objects.iter().map(|o| o.id().to_string()).collect();
    ids.sort();
    ids
}

fn expected(range: std::ops::Range<u32>) -> Vec<String> {
    let mut ids: Vec<String> =
        range.map(|i| object(i)["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

/// Two pulls with objects at the same date as the cursor arriving in between: nothing lost,
/// nothing read twice.
async fn equal_timestamps(fake: Fake) {
    fake.add(1, 0..5);
    fake.add(2, 5..10);
    let first = pull(&fake, &PullState::default(), 3).await;
    assert_eq!(ids(&first), expected(0..10));
    assert_eq!(first.new_state.added_after.as_deref(), Some(stamp(2).as_str()));
    // Late objects with the cursor's own date, and newer ones.
    fake.add(2, 10..13);
    fake.add(3, 13..15);
    let second = pull(&fake, &first.new_state, 3).await;
    assert_eq!(ids(&second), expected(10..15), "{:?}", second.fallbacks);
    let third = pull(&fake, &second.new_state, 3).await;
    assert!(third.objects.is_empty());
    assert_eq!(third.new_state, second.new_state);
}

#[tokio::test]
async fn equal_timestamps_exclusive_server() {
    equal_timestamps(Fake::default()).await;
}

#[tokio::test]
async fn equal_timestamps_inclusive_server() {
    equal_timestamps(Fake { inclusive: true, ..Fake::default() }).await;
}

#[tokio::test]
async fn equal_timestamps_more_without_next() {
    equal_timestamps(Fake { no_next: true, ..Fake::default() }).await;
    let fake = Fake { no_next: true, ..Fake::default() };
    fake.add(1, 0..5);
    let outcome = pull(&fake, &PullState::default(), 2).await;
    assert_eq!(ids(&outcome), expected(0..5));
    assert!(outcome.fallbacks.iter().any(|f| matches!(f, PullFallback::MoreWithoutNext { .. })));
}

#[tokio::test]
async fn equal_timestamps_without_headers() {
    equal_timestamps(Fake { no_headers: true, ..Fake::default() }).await;
    let fake = Fake { no_headers: true, ..Fake::default() };
    fake.add(1, 0..3);
    let outcome = pull(&fake, &PullState::default(), 10).await;
    assert_eq!(outcome.new_state.added_after.as_deref(), Some(stamp(1).as_str()));
    assert!(matches!(
        outcome.fallbacks[0],
        PullFallback::DatesFromManifest { resolved: 3, unresolved: 0 }
    ));
}

#[tokio::test]
async fn expired_next_resumes_by_date() {
    equal_timestamps(Fake { reject_next: true, ..Fake::default() }).await;
    let fake = Fake { reject_next: true, ..Fake::default() };
    fake.add(1, 0..4);
    fake.add(2, 4..8);
    let outcome = pull(&fake, &PullState::default(), 3).await;
    assert_eq!(ids(&outcome), expected(0..8));
    assert!(
        outcome
            .fallbacks
            .iter()
            .any(|f| matches!(f, PullFallback::NextRejected { status: 400, .. }))
    );
}

#[tokio::test]
async fn tie_larger_than_a_page_without_next() {
    // The server caps pages at 2 but lets the limit grow to 10: raising the limit gets through.
    let fake = Fake { no_next: true, max_page: Some(10), ..Fake::default() };
    fake.add(1, 0..7);
    fake.add(2, 7..8);
    let outcome = pull(&fake, &PullState::default(), 2).await;
    assert_eq!(ids(&outcome), expected(0..8));
    assert!(outcome.fallbacks.iter().any(|f| matches!(f, PullFallback::LimitRaised { .. })));

    // It cannot grow: the objects of that date past the first page are skipped, and said so.
    let fake = Fake { no_next: true, max_page: Some(2), ..Fake::default() };
    fake.add(1, 0..5);
    fake.add(2, 5..6);
    let outcome = pull(&fake, &PullState::default(), 2).await;
    assert!(outcome.fallbacks.iter().any(|f| matches!(f, PullFallback::TieSkipped { .. })));
    assert!(ids(&outcome).contains(&expected(5..6)[0]));
}

#[tokio::test]
async fn bad_objects_are_reported_not_fatal() {
    let fake = Fake::default();
    fake.add(1, 0..3);
    fake.objects.lock().unwrap().push((
        stamp(1),
        json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090",
            "created": "2026-11-20T09:00:00.000Z", "modified": "2026-11-20T09:00:00.000Z",
            "pattern": "[cryptocurrency-wallet:value = '0x22'", "pattern_type": "stix",
            "valid_from": "2026-11-20T09:00:00.000Z"
        }),
    ));
    let outcome = pull(&fake, &PullState::default(), 10).await;
    assert_eq!(outcome.objects.len(), 3);
    assert_eq!(outcome.rejected.len(), 1);
    assert!(outcome.rejected[0].error.contains("pattern"), "{:?}", outcome.rejected);
}

#[test]
fn state_is_plain_json() {
    let mut state = PullState { added_after: Some(stamp(2)), ..PullState::default() };
    state.seen_at_cursor.insert(ObjectVersion::of(&object(1)).unwrap());
    let text = serde_json::to_string(&state).unwrap();
    assert_eq!(
        text,
        r#"{"added_after":"2026-11-20T09:00:02.000000Z","seen_at_cursor":[{"id":"identity--00000000-0000-4000-8000-000000000001","version":"2026-01-01T00:00:00.000000000Z"}]}"#
    );
    assert_eq!(serde_json::from_str::<PullState>(&text).unwrap(), state);
    assert_eq!(serde_json::from_str::<PullState>("{}").unwrap(), PullState::default());
    assert_eq!(Cursor::parse(&stamp(2)).unwrap().just_before(), "2026-11-20T09:00:01.999999Z");
}
