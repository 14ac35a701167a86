//! Standard base64 (RFC 4648 §4, padded) for the JSON messages' byte fields.

use crate::Error;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes `text` into exactly `N` bytes.
pub(crate) fn decode_array<const N: usize>(
    field: &'static str,
    text: &str,
) -> Result<[u8; N], Error> {
    // A valid field is short: refuse long strings before decoding them.
    let max_text = N.div_ceil(3) * 4;
    if text.len() > max_text {
        return Err(Error::Length { field, expected: N, got: text.len() / 4 * 3 });
    }
    let bytes = STANDARD.decode(text).map_err(|_| Error::Base64 { field })?;
    bytes.as_slice().try_into().map_err(|_| Error::Length { field, expected: N, got: bytes.len() })
}
