//! The two messages of the online step, as JSON with base64 byte fields.

use crate::suite::{ELEMENT_LEN, Element, PROOF_LEN};
use crate::{Error, KeyId, MAX_BATCH_ELEMENTS, PROTOCOL_VERSION, b64};
use serde::{Deserialize, Serialize};

/// Partner → server: blinded group elements to evaluate with the named key.
///
/// JSON: `{"version": 1, "key_id": "<16 hex>", "elements": ["<base64 of 32 bytes>", …]}`.
/// Deserializing checks the version, the key id's syntax, the batch size (1 to
/// [`MAX_BATCH_ELEMENTS`]) and each element's base64 and length; [`crate::Server::evaluate`]
/// checks that each is a group element. The elements are uniformly random group elements
/// whatever the address: they are all the server learns.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(try_from = "RequestWire", into = "RequestWire")]
pub struct BlindedRequest {
    pub(crate) key_id: KeyId,
    pub(crate) elements: Vec<Element>,
}

impl BlindedRequest {
    /// The key the partner asks to be evaluated with (the published set's).
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The blinded elements, 32 bytes each.
    pub fn elements(&self) -> &[[u8; 32]] {
        &self.elements
    }

    /// How many OPRF evaluations the request asks for: the cost to charge a partner's
    /// [`crate::RateLimiter`] bucket ([`crate::SLOTS_PER_LOOKUP`] for one address lookup).
    pub fn evaluation_count(&self) -> u32 {
        // At most MAX_BATCH_ELEMENTS once validated; saturate for hand-built requests.
        u32::try_from(self.elements.len()).unwrap_or(u32::MAX)
    }
}

/// Server → partner: the evaluated elements, in request order, and one DLEQ proof that each is
/// the request's element times the secret key behind the published public key.
///
/// JSON: `{"version": 1, "key_id": "<16 hex>", "elements": ["<base64>", …], "proof":
/// "<base64 of 64 bytes>", "set_version": 7}`. `set_version` is the newest published set for
/// that key (absent if none was recorded): a partner whose copy is older must refresh it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(try_from = "ResponseWire", into = "ResponseWire")]
pub struct EvaluatedResponse {
    pub(crate) key_id: KeyId,
    pub(crate) elements: Vec<Element>,
    pub(crate) proof: [u8; PROOF_LEN],
    pub(crate) set_version: Option<u64>,
}

impl EvaluatedResponse {
    /// The key the server evaluated with (it claims).
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The evaluated elements, 32 bytes each.
    pub fn elements(&self) -> &[[u8; 32]] {
        &self.elements
    }

    /// The DLEQ proof (two scalars).
    pub fn proof(&self) -> &[u8; 64] {
        &self.proof
    }

    /// The server's newest published set version for this key.
    pub fn set_version(&self) -> Option<u64> {
        self.set_version
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestWire {
    version: u32,
    key_id: KeyId,
    elements: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseWire {
    version: u32,
    key_id: KeyId,
    elements: Vec<String>,
    proof: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    set_version: Option<u64>,
}

fn check_version(version: u32) -> Result<(), Error> {
    if version == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(Error::ProtocolVersion { got: version, supported: PROTOCOL_VERSION })
    }
}

/// Checks the batch size and decodes each element.
pub(crate) fn decode_elements(elements: &[String]) -> Result<Vec<Element>, Error> {
    check_batch(elements.len())?;
    elements.iter().map(|text| b64::decode_array::<ELEMENT_LEN>("elements", text)).collect()
}

pub(crate) fn check_batch(len: usize) -> Result<(), Error> {
    match len {
        0 => Err(Error::EmptyBatch),
        len if len > MAX_BATCH_ELEMENTS => {
            Err(Error::BatchTooLarge { len, max: MAX_BATCH_ELEMENTS })
        }
        _ => Ok(()),
    }
}

fn encode_elements(elements: &[Element]) -> Vec<String> {
    elements.iter().map(|element| b64::encode(element)).collect()
}

impl TryFrom<RequestWire> for BlindedRequest {
    type Error = Error;

    fn try_from(wire: RequestWire) -> Result<Self, Error> {
        check_version(wire.version)?;
        Ok(Self { key_id: wire.key_id, elements: decode_elements(&wire.elements)? })
    }
}

impl From<BlindedRequest> for RequestWire {
    fn from(request: BlindedRequest) -> Self {
        Self {
            version: PROTOCOL_VERSION,
            key_id: request.key_id,
            elements: encode_elements(&request.elements),
        }
    }
}

impl TryFrom<ResponseWire> for EvaluatedResponse {
    type Error = Error;

    fn try_from(wire: ResponseWire) -> Result<Self, Error> {
        check_version(wire.version)?;
        Ok(Self {
            key_id: wire.key_id,
            elements: decode_elements(&wire.elements)?,
            proof: b64::decode_array("proof", &wire.proof)?,
            set_version: wire.set_version,
        })
    }
}

impl From<EvaluatedResponse> for ResponseWire {
    fn from(response: EvaluatedResponse) -> Self {
        Self {
            version: PROTOCOL_VERSION,
            key_id: response.key_id,
            elements: encode_elements(&response.elements),
            proof: b64::encode(&response.proof),
            set_version: response.set_version,
        }
    }
}
