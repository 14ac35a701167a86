//! GraphSense TagPacks and ActorPacks (YAML). PLACEHOLDER until the parser lands.

use crate::ListError;
use chainward_primitives::ParsedList;

/// Parses a GraphSense TagPack.
///
/// # Errors
/// [`ListError::Malformed`] when the YAML as a whole is unusable.
pub fn parse_tagpack(_yaml: &[u8], file: &str) -> Result<ParsedList, ListError> {
    Err(ListError::malformed(file, 0, "TagPack parser not built yet"))
}

/// Parses a GraphSense ActorPack.
///
/// # Errors
/// [`ListError::Malformed`] when the YAML as a whole is unusable.
pub fn parse_actorpack(_yaml: &[u8], file: &str) -> Result<ParsedList, ListError> {
    Err(ListError::malformed(file, 0, "ActorPack parser not built yet"))
}
