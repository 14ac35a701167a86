//! OFAC SDN XML (`SDN_ADVANCED.XML` and `SDN_ENHANCED.XML`). PLACEHOLDER until the parser lands.

use crate::ListError;
use chainward_primitives::ParsedList;
use std::io::BufRead;

/// Parses an OFAC SDN XML file (advanced or enhanced schema) into its digital-currency entries.
///
/// # Errors
/// [`ListError::Malformed`] with the line when the XML is not well-formed or not an SDN file.
pub fn parse_sdn_xml<R: BufRead>(_reader: R, file: &str) -> Result<ParsedList, ListError> {
    Err(ListError::malformed(file, 0, "OFAC XML parser not built yet"))
}
