//! The one module that names `voprf`: RFC 9497 in VOPRF mode with the ristretto255-SHA512
//! cipher suite. Everything else in the crate sees fixed-size byte arrays, so a later voprf
//! release (0.6 changes the API) or another suite (P-256) changes this file only.

use crate::Error;
use rand_core::{OsRng, RngCore};
use voprf::{
    BlindedElement, EvaluationElement, Group, Proof, Ristretto255, VoprfClient, VoprfServer,
};

/// The cipher suite: ristretto255 with SHA-512 (RFC 9497 §4.1, identifier below).
type Cs = Ristretto255;

/// The RFC 9497 identifier of the suite, carried in public keys for agility.
pub(crate) const SUITE_ID: &str = "ristretto255-SHA512";
/// A serialized group element (blinded or evaluated element, public key).
pub(crate) const ELEMENT_LEN: usize = 32;
/// A serialized DLEQ proof: two scalars.
pub(crate) const PROOF_LEN: usize = 64;
/// The OPRF output: SHA-512.
pub(crate) const OUTPUT_LEN: usize = 64;
/// The seed a key pair is derived from (RFC 9497 `DeriveKeyPair`).
pub(crate) const SEED_LEN: usize = 32;
/// The `info` of `DeriveKeyPair`: binds keys to this protocol.
const KEY_INFO: &[u8] = b"chainward/private-lookup/key/v1";

/// A group element's bytes.
pub(crate) type Element = [u8; ELEMENT_LEN];
/// An OPRF output.
pub(crate) type Output = [u8; OUTPUT_LEN];

fn oprf_error(context: &'static str, error: voprf::Error) -> Error {
    Error::Oprf { context, message: error.to_string() }
}

fn copy_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(bytes);
    out
}

/// Fresh random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0; N];
    OsRng.try_fill_bytes(&mut out).map_err(|error| Error::Rng(error.to_string()))?;
    Ok(out)
}

/// Whether `bytes` encode a valid ristretto255 element other than the identity.
pub(crate) fn is_valid_element(bytes: &Element) -> bool {
    <Cs as Group>::deserialize_elem(bytes).is_ok()
}

/// The server's key pair.
pub(crate) struct KeyPair(VoprfServer<Cs>);

impl KeyPair {
    /// RFC 9497 `DeriveKeyPair(seed, info)` in VOPRF mode.
    pub(crate) fn derive(seed: &[u8; SEED_LEN]) -> Result<Self, Error> {
        VoprfServer::new_from_seed(seed, KEY_INFO)
            .map(Self)
            .map_err(|error| oprf_error("deriving the key pair", error))
    }

    /// The public key `k·G`.
    pub(crate) fn public_key(&self) -> Element {
        copy_array(&<Cs as Group>::serialize_elem(self.0.get_public_key()))
    }

    /// `F(k, input)` computed directly with the key (RFC 9497 `Evaluate`): what a client gets
    /// for `input` after blind, evaluate and finalize.
    pub(crate) fn evaluate(&self, input: &[u8]) -> Result<Output, Error> {
        let output = self.0.evaluate(input).map_err(|error| oprf_error("evaluating", error))?;
        Ok(copy_array(&output))
    }

    /// `BlindEvaluate` of a batch with one DLEQ proof over all of it.
    ///
    /// # Errors
    /// [`Error::InvalidElement`] names the first element that is not a valid group element.
    pub(crate) fn blind_evaluate(
        &self,
        elements: &[Element],
    ) -> Result<(Vec<Element>, [u8; PROOF_LEN]), Error> {
        let blinded = elements
            .iter()
            .enumerate()
            .map(|(index, bytes)| {
                BlindedElement::<Cs>::deserialize(bytes)
                    .map_err(|_| Error::InvalidElement { index })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let result = self
            .0
            .batch_blind_evaluate(&mut OsRng, &blinded)
            .map_err(|error| oprf_error("evaluating the batch", error))?;
        let evaluated = result.messages.iter().map(|m| copy_array(&m.serialize())).collect();
        Ok((evaluated, copy_array(&result.proof.serialize())))
    }
}

/// A client's secret state for one blinded input: the blind.
pub(crate) struct Blind(VoprfClient<Cs>);

/// RFC 9497 `Blind(input)` with a fresh random blind.
pub(crate) fn blind(input: &[u8]) -> Result<(Blind, Element), Error> {
    let result = VoprfClient::<Cs>::blind(input, &mut OsRng)
        .map_err(|error| oprf_error("blinding", error))?;
    Ok((Blind(result.state), copy_array(&result.message.serialize())))
}

/// RFC 9497 `Finalize` of a batch: verifies the server's proof against `public_key`, then
/// unblinds and hashes each element with its input.
///
/// # Errors
/// [`Error::InvalidElement`] for an element that is not a group element, and
/// [`Error::ProofVerification`] when the proof does not verify (the server did not use the key
/// behind `public_key`, or changed an element).
pub(crate) fn finalize(
    inputs: Vec<Vec<u8>>,
    blinds: Vec<Blind>,
    evaluated: &[Element],
    proof: &[u8; PROOF_LEN],
    public_key: &Element,
) -> Result<Vec<Output>, Error> {
    let public_key = <Cs as Group>::deserialize_elem(public_key).map_err(|_| Error::PublicKey)?;
    let evaluated = evaluated
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            EvaluationElement::<Cs>::deserialize(bytes).map_err(|_| Error::InvalidElement { index })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let proof = Proof::<Cs>::deserialize(proof).map_err(|_| Error::InvalidProof)?;
    let clients: Vec<VoprfClient<Cs>> = blinds.into_iter().map(|blind| blind.0).collect();
    let outputs = VoprfClient::batch_finalize(&inputs, &clients, &evaluated, &proof, public_key)
        .map_err(|error| match error {
            voprf::Error::ProofVerification => Error::ProofVerification,
            voprf::Error::Batch => {
                Error::ResponseLength { expected: clients.len(), got: evaluated.len() }
            }
            other => oprf_error("finalizing", other),
        })?;
    outputs
        .map(|output| {
            output.map(|o| copy_array(&o)).map_err(|error| oprf_error("finalizing", error))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blind_evaluate_finalize_equals_direct_evaluation() {
        let pair = KeyPair::derive(&[7; SEED_LEN]).unwrap();
        let inputs = vec![b"one".to_vec(), b"two".to_vec()];
        let (blinds, elements): (Vec<_>, Vec<_>) =
            inputs.iter().map(|input| blind(input).unwrap()).unzip();
        let (evaluated, proof) = pair.blind_evaluate(&elements).unwrap();
        let outputs = finalize(inputs, blinds, &evaluated, &proof, &pair.public_key()).unwrap();
        assert_eq!(outputs[0], pair.evaluate(b"one").unwrap());
        assert_eq!(outputs[1], pair.evaluate(b"two").unwrap());
    }

    /// RFC 9497 Appendix A.1.2 (ristretto255-SHA512, VOPRF mode): the key derived from the
    /// test seed and key info, and the output of the first test vector.
    #[test]
    fn rfc_9497_known_answer() {
        let seed = [0xa3; 32];
        let info = hex("74657374206b6579");
        let server = VoprfServer::<Cs>::new_from_seed(&seed, &info).unwrap();
        let pk = <Cs as Group>::serialize_elem(server.get_public_key());
        assert_eq!(
            &pk[..],
            hex("c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e").as_slice()
        );
        let output = server.evaluate(&[0x00]).unwrap();
        assert_eq!(
            &output[..],
            hex("b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7da4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c")
                .as_slice()
        );
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }
}
