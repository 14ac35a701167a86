//! The server's side: hold the keys, publish sets, evaluate blinded requests.

use crate::message::check_batch;
use crate::set::DEFAULT_TAG_LEN;
use crate::{BlindedRequest, Error, EvaluatedResponse, KeyId, PublicKey, PublishedSet, ServerKey};
use chainward_primitives::AddressKey;

/// The server's side of private lookups: its OPRF keys (the current one and, during a
/// rotation, older ones still answered), the newest published set version per key, and the
/// evaluation of blinded requests.
///
/// `evaluate` takes `&self` and needs no lock; the HTTP endpoint charges the partner's
/// [`crate::RateLimiter`] bucket with [`BlindedRequest::evaluation_count`] before calling it.
#[derive(Debug)]
pub struct Server {
    /// The current key first.
    keys: Vec<Slot>,
}

#[derive(Debug)]
struct Slot {
    key: ServerKey,
    set_version: Option<u64>,
}

impl Server {
    /// A server with one key.
    pub fn new(key: ServerKey) -> Self {
        Self { keys: vec![Slot { key, set_version: None }] }
    }

    /// Makes `key` the current key (new sets are published under it). The previous keys are
    /// still answered, so partners holding a set of the old key keep working until they
    /// refresh, until [`Server::retire`] removes them. A key already held moves to the front.
    pub fn rotate(&mut self, key: ServerKey) {
        let key_id = key.key_id();
        let slot = match self.keys.iter().position(|slot| slot.key.key_id() == key_id) {
            Some(at) => self.keys.remove(at),
            None => Slot { key, set_version: None },
        };
        self.keys.insert(0, slot);
    }

    /// Stops answering requests for `key_id`. Returns whether it was held; the current key
    /// cannot be retired (rotate first), and returns `false`.
    pub fn retire(&mut self, key_id: KeyId) -> bool {
        match self.keys.iter().position(|slot| slot.key.key_id() == key_id) {
            Some(at) if at > 0 => {
                self.keys.remove(at);
                true
            }
            _ => false,
        }
    }

    /// The current key's id.
    pub fn current_key_id(&self) -> KeyId {
        self.current().key_id()
    }

    /// The current public key, to publish.
    pub fn public_key(&self) -> PublicKey {
        self.current().public_key()
    }

    /// The ids of every key answered, current first.
    pub fn key_ids(&self) -> Vec<KeyId> {
        self.keys.iter().map(|slot| slot.key.key_id()).collect()
    }

    /// The newest set version published for `key_id`.
    pub fn set_version(&self, key_id: KeyId) -> Option<u64> {
        self.slot(key_id).ok().and_then(|slot| slot.set_version)
    }

    fn current(&self) -> &ServerKey {
        &self.keys.first().expect("a server always holds its current key").key
    }

    fn slot(&self, key_id: KeyId) -> Result<&Slot, Error> {
        self.keys.iter().find(|slot| slot.key.key_id() == key_id).ok_or(Error::UnknownKey(key_id))
    }

    /// Publishes the watchlist `keys` as set `version` under the current key, and records the
    /// version: from then on every response tells partners holding an older set to refresh
    /// (which is how a de-listing reaches them).
    ///
    /// # Errors
    /// [`Error::VersionNotIncreasing`] unless `version` is above the last one published
    /// under the current key; [`Error::UnknownChain`] for a key of an unknown chain.
    pub fn publish(
        &mut self,
        keys: impl IntoIterator<Item = AddressKey>,
        version: u64,
    ) -> Result<PublishedSet, Error> {
        let last = self.keys[0].set_version;
        if let Some(last) = last.filter(|&last| version <= last) {
            return Err(Error::VersionNotIncreasing { version, last });
        }
        let set = PublishedSet::build(self.current(), keys, version, DEFAULT_TAG_LEN)?;
        self.keys[0].set_version = Some(version);
        Ok(set)
    }

    /// Records a set published earlier (after a restart, say) so responses carry its
    /// version. Keeps the higher of the recorded and the given version.
    ///
    /// # Errors
    /// [`Error::UnknownKey`] when the set's key is not held.
    pub fn record_published(&mut self, set: &PublishedSet) -> Result<(), Error> {
        let key_id = set.key_id();
        let slot = self
            .keys
            .iter_mut()
            .find(|slot| slot.key.key_id() == key_id)
            .ok_or(Error::UnknownKey(key_id))?;
        slot.set_version = slot.set_version.max(Some(set.version()));
        Ok(())
    }

    /// Evaluates a blinded request with the key it names, with a proof that the key behind
    /// the published public key was used. The server learns nothing about the address.
    ///
    /// # Errors
    /// [`Error::UnknownKey`] for a key not held, [`Error::EmptyBatch`] /
    /// [`Error::BatchTooLarge`], and [`Error::InvalidElement`] for an element that is not a
    /// group element; [`Error::Oprf`] / [`Error::Rng`] are the server's own failures.
    pub fn evaluate(&self, request: &BlindedRequest) -> Result<EvaluatedResponse, Error> {
        let slot = self.slot(request.key_id)?;
        check_batch(request.elements.len())?;
        let (elements, proof) = slot.key.pair().blind_evaluate(&request.elements)?;
        Ok(EvaluatedResponse {
            key_id: request.key_id,
            elements,
            proof,
            set_version: slot.set_version,
        })
    }
}
