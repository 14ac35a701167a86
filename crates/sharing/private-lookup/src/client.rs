//! The partner's side: blind an address, and test the server's answer against the set.

use crate::input::{oprf_input, readings};
use crate::suite::{self, Blind};
use crate::{
    BlindedRequest, Error, EvaluatedResponse, KeyId, PublicKey, PublishedSet, SLOTS_PER_LOOKUP,
};
use chainward_primitives::{AddressKey, Chain};
use std::fmt;

/// The partner's side of a lookup, bound to the server's public key it pinned.
///
/// ```text
/// let (request, state) = client.blind("0xAbC…")?;   // send request to the server
/// let listed = client.finalize(state, &response, &set)?;
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    public_key: PublicKey,
}

/// What the partner keeps between [`Client::blind`] and [`Client::finalize`]: the blinds and
/// inputs. Secret (the inputs name the address); used once.
pub struct ClientState {
    key_id: KeyId,
    inputs: Vec<Vec<u8>>,
    blinds: Vec<Blind>,
    /// The chains of the real readings; they occupy the first slots, dummies the rest.
    chains: Vec<Chain>,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("key_id", &self.key_id)
            .field("slots", &self.blinds.len())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client that accepts only answers proven under `public_key` (obtained from the server
    /// operator through an authenticated channel, like the sharing agreement itself).
    pub fn new(public_key: PublicKey) -> Self {
        Self { public_key }
    }

    /// A client pinned to the key of `set` (when the set itself came over an authenticated
    /// channel).
    pub fn for_set(set: &PublishedSet) -> Self {
        Self::new(set.public_key())
    }

    /// The pinned public key.
    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    /// Blinds every reading of `address` (one per chain it is valid on; every spelling of one
    /// address gives the same readings) into a request of exactly [`SLOTS_PER_LOOKUP`]
    /// elements, the unused slots filled with blinded random inputs, so the request's size
    /// does not tell the server which kind of address it is.
    ///
    /// # Errors
    /// [`Error::Address`] when `address` is an address on no chain, and
    /// [`Error::TooManyReadings`] when it is one on more chains than a lookup has slots.
    pub fn blind(&self, address: &str) -> Result<(BlindedRequest, ClientState), Error> {
        let readings = readings(address)?;
        self.blind_readings(readings)
    }

    /// [`Client::blind`] for address keys already parsed (each on its own chain).
    ///
    /// # Errors
    /// [`Error::TooManyReadings`] for more than [`SLOTS_PER_LOOKUP`] keys,
    /// [`Error::UnknownChain`] for a key of an unknown chain.
    pub fn blind_keys(&self, keys: &[AddressKey]) -> Result<(BlindedRequest, ClientState), Error> {
        let readings = keys
            .iter()
            .map(|key| key.chain().map(|chain| (chain, *key)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                let unknown = keys.iter().find(|key| key.chain().is_none());
                Error::UnknownChain(unknown.map_or(0, |key| key.as_bytes()[0]))
            })?;
        self.blind_readings(readings)
    }

    fn blind_readings(
        &self,
        readings: Vec<(Chain, AddressKey)>,
    ) -> Result<(BlindedRequest, ClientState), Error> {
        if readings.len() > SLOTS_PER_LOOKUP {
            return Err(Error::TooManyReadings { count: readings.len(), max: SLOTS_PER_LOOKUP });
        }
        let mut inputs = Vec::with_capacity(SLOTS_PER_LOOKUP);
        let mut chains = Vec::with_capacity(readings.len());
        for (chain, key) in &readings {
            inputs.push(oprf_input(key)?);
            chains.push(*chain);
        }
        while inputs.len() < SLOTS_PER_LOOKUP {
            // A dummy: a random input no address encodes to (wrong prefix), blinded like the
            // rest, so the server cannot tell it apart; its output is ignored.
            let mut dummy = b"chainward/private-lookup/dummy\0".to_vec();
            dummy.extend_from_slice(&suite::random_bytes::<32>()?);
            inputs.push(dummy);
        }
        let mut blinds = Vec::with_capacity(SLOTS_PER_LOOKUP);
        let mut elements = Vec::with_capacity(SLOTS_PER_LOOKUP);
        for input in &inputs {
            let (blind, element) = suite::blind(input)?;
            blinds.push(blind);
            elements.push(element);
        }
        let key_id = self.public_key.key_id();
        Ok((BlindedRequest { key_id, elements }, ClientState { key_id, inputs, blinds, chains }))
    }

    /// Verifies the server's proof against the pinned key, unblinds, and tests each reading
    /// of the address against `set`: whether the address is listed (on any of its chains).
    ///
    /// # Errors
    /// - [`Error::KeyMismatch`] when the set, the response or the request name different keys
    ///   than the pinned one;
    /// - [`Error::ResponseLength`] or [`Error::InvalidElement`] for a malformed response;
    /// - [`Error::ProofVerification`] when the server did not evaluate with the pinned key;
    /// - [`Error::StaleSet`] when the server has published a newer set than `set`.
    pub fn finalize(
        &self,
        state: ClientState,
        response: &EvaluatedResponse,
        set: &PublishedSet,
    ) -> Result<bool, Error> {
        Ok(!self.finalize_chains(state, response, set)?.is_empty())
    }

    /// [`Client::finalize`], returning the chains on which the address is listed.
    ///
    /// # Errors
    /// As [`Client::finalize`].
    pub fn finalize_chains(
        &self,
        state: ClientState,
        response: &EvaluatedResponse,
        set: &PublishedSet,
    ) -> Result<Vec<Chain>, Error> {
        let pinned = self.public_key.key_id();
        for got in [set.key_id(), state.key_id, response.key_id] {
            if got != pinned {
                return Err(Error::KeyMismatch { expected: pinned, got });
            }
        }
        if response.elements.len() != state.blinds.len() {
            return Err(Error::ResponseLength {
                expected: state.blinds.len(),
                got: response.elements.len(),
            });
        }
        let outputs = suite::finalize(
            state.inputs,
            state.blinds,
            &response.elements,
            &response.proof,
            self.public_key.as_bytes(),
        )?;
        if let Some(latest) = response.set_version.filter(|&latest| latest > set.version()) {
            return Err(Error::StaleSet { have: set.version(), latest });
        }
        Ok(state
            .chains
            .iter()
            .zip(&outputs)
            .filter(|(_, output)| set.contains_output(output))
            .map(|(chain, _)| *chain)
            .collect())
    }
}
