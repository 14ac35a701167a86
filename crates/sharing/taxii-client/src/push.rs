//! Push: objects to a collection in envelopes no larger than the API root accepts, each
//! status followed, one result per object.

use crate::TaxiiError;
use crate::client::{TaxiiClient, envelope_bytes};
use crate::pull::{ObjectVersion, normalize_version};
use crate::query::{CollectionAddress, ObjectQuery};
use crate::resources::Status;
use chainward_stix::StixObject;
use std::collections::HashMap;

/// How to push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushOptions {
    /// The largest envelope in bytes; by default the API root's `max_content_length` (read
    /// once per push).
    pub max_content_length: Option<u64>,
    /// For an object the server reports as failed, read it back (`match[version]` = its
    /// version) and count it as [`PushResult::AlreadyPresent`] when the collection has it:
    /// TAXII says re-sending an exact duplicate is not an error, but medallion 3.0.0 reports
    /// one (default true; at most 200 read-backs per push).
    pub verify_failures: bool,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self { max_content_length: None, verify_failures: true }
    }
}

/// What became of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushResult {
    /// The server added it.
    Added,
    /// The server refused it but the collection already holds this exact version.
    AlreadyPresent,
    /// The server refused it.
    Failed(String),
    /// Still pending when the client stopped following the status.
    Pending,
    /// It was not sent: larger than `max_content_length` on its own, or its envelope's
    /// request failed.
    NotSent(String),
}

impl PushResult {
    /// Whether the collection holds the object now.
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Added | Self::AlreadyPresent)
    }
}

/// The result of a push.
#[derive(Clone, Debug, Default)]
pub struct PushOutcome {
    /// One per object, in the order given.
    pub results: Vec<(ObjectVersion, PushResult)>,
    /// The final status of each envelope sent.
    pub statuses: Vec<Status>,
    /// The envelope size limit used.
    pub max_content_length: u64,
}

impl PushOutcome {
    /// Objects the collection holds now.
    pub fn succeeded(&self) -> usize {
        self.results.iter().filter(|(_, r)| r.is_ok()).count()
    }

    /// Objects it does not.
    pub fn failed(&self) -> usize {
        self.results.len() - self.succeeded()
    }
}

/// Splits serialized objects into envelopes of at most `max` bytes: the indices of each
/// envelope's objects, and those too large for any.
pub(crate) fn chunk(sizes: &[usize], max: u64) -> (Vec<Vec<usize>>, Vec<usize>) {
    // `{"objects":[` + `]}`, and one comma between objects.
    const OVERHEAD: u64 = 14;
    let mut chunks = Vec::new();
    let mut too_large = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut size = OVERHEAD;
    for (i, &len) in sizes.iter().enumerate() {
        let len = len as u64;
        if OVERHEAD + len > max {
            too_large.push(i);
            continue;
        }
        let added = len + u64::from(!current.is_empty());
        if size + added > max {
            chunks.push(std::mem::take(&mut current));
            size = OVERHEAD;
        }
        size += len + u64::from(!current.is_empty());
        current.push(i);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    (chunks, too_large)
}

impl TaxiiClient {
    /// Pushes objects: envelopes bounded by the API root's `max_content_length`, each status
    /// followed until complete (bounded), one [`PushResult`] per object.
    ///
    /// A request that fails (after retries) marks its envelope's objects
    /// [`PushResult::NotSent`] and the push goes on with the next envelope.
    ///
    /// # Errors
    /// Only when the API root cannot be read for its `max_content_length`.
    pub async fn push(
        &self,
        collection: &CollectionAddress,
        objects: &[StixObject],
        options: &PushOptions,
    ) -> Result<PushOutcome, TaxiiError> {
        let max = match options.max_content_length {
            Some(max) => max,
            None => self.api_root(collection.api_root().as_str()).await?.max_content_length,
        };
        let serialized: Vec<Vec<u8>> =
            objects.iter().map(|o| serde_json::to_vec(o).unwrap_or_default()).collect();
        let versions: Vec<ObjectVersion> = objects
            .iter()
            .map(|o| ObjectVersion {
                id: o.id().to_string(),
                version: o
                    .common()
                    .and_then(|c| c.version())
                    .map(|v| normalize_version(&v.to_string())),
            })
            .collect();
        let sizes: Vec<usize> = serialized.iter().map(Vec::len).collect();
        let (chunks, too_large) = chunk(&sizes, max);
        let mut results: Vec<Option<PushResult>> = vec![None; objects.len()];
        for i in too_large {
            results[i] = Some(PushResult::NotSent(
                TaxiiError::ObjectTooLarge { id: versions[i].id.clone(), size: sizes[i] + 14, max }
                    .to_string(),
            ));
        }
        let mut outcome = PushOutcome { max_content_length: max, ..PushOutcome::default() };
        let mut verifications = 0usize;
        for chunk in chunks {
            let body = envelope_bytes(chunk.iter().map(|&i| serialized[i].clone()));
            let status = match self.post_envelope(collection, body).await {
                Ok(status) => self.wait_for_status(collection.api_root().as_str(), status).await,
                Err(error) => Err(error),
            };
            let status = match status {
                Ok(status) => status,
                Err(error) => {
                    tracing::warn!(%error, objects = chunk.len(), "TAXII envelope not sent");
                    for &i in &chunk {
                        results[i] = Some(PushResult::NotSent(error.to_string()));
                    }
                    continue;
                }
            };
            let by_id =
                |list: &[crate::resources::StatusDetails]| -> HashMap<String, Option<String>> {
                    list.iter().map(|d| (d.id.clone(), d.message.clone())).collect()
                };
            let (failures, pendings, successes) =
                (by_id(&status.failures), by_id(&status.pendings), by_id(&status.successes));
            for &i in &chunk {
                let id = &versions[i].id;
                let result = if let Some(message) = failures.get(id) {
                    let message = message.clone().unwrap_or_else(|| "refused".into());
                    if options.verify_failures && verifications < 200 {
                        verifications += 1;
                        if self.holds(collection, &versions[i]).await {
                            PushResult::AlreadyPresent
                        } else {
                            PushResult::Failed(message)
                        }
                    } else {
                        PushResult::Failed(message)
                    }
                } else if pendings.contains_key(id) {
                    PushResult::Pending
                } else if successes.contains_key(id)
                    || (status.is_complete() && status.failure_count == 0)
                {
                    PushResult::Added
                } else if status.is_complete() {
                    // Counted but not listed: the server only gave counts.
                    PushResult::Failed("not listed in the server's status".into())
                } else {
                    PushResult::Pending
                };
                results[i] = Some(result);
            }
            outcome.statuses.push(status);
        }
        outcome.results = versions
            .into_iter()
            .zip(results)
            .map(|(v, r)| (v, r.unwrap_or_else(|| PushResult::NotSent("not sent".into()))))
            .collect();
        Ok(outcome)
    }

    /// Whether the collection holds this version of the object.
    async fn holds(&self, collection: &CollectionAddress, version: &ObjectVersion) -> bool {
        let query = ObjectQuery { versions: vec!["all".into()], ..ObjectQuery::default() };
        let Ok(page) = self.object(collection, &version.id, &query).await else { return false };
        page.body.objects.iter().any(|o| ObjectVersion::of(o).as_ref() == Some(version))
    }
}

#[cfg(test)]
mod tests {
    use super::chunk;

    #[test]
    fn chunks_respect_the_limit() {
        // Envelope = 14 bytes + objects + commas.
        let (chunks, too_large) = chunk(&[10, 10, 10, 100, 5], 40);
        assert_eq!(chunks, vec![vec![0, 1], vec![2, 4]]);
        assert_eq!(too_large, vec![3]);
        let (chunks, _) = chunk(&[26], 40);
        assert_eq!(chunks, vec![vec![0]]);
        let (chunks, too_large) = chunk(&[27], 40);
        assert!(chunks.is_empty());
        assert_eq!(too_large, vec![0]);
        assert_eq!(chunk(&[], 40).0.len(), 0);
    }
}
