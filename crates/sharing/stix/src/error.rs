//! Errors: what is wrong, in which object, in which property.

use std::fmt;

/// A problem with one object of a bundle, naming the object (its id, else its type and index)
/// and the property: `indicator--…: pattern: unbalanced bracket at 17`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectError {
    /// The object's index in the bundle's `objects`, when it came from a bundle.
    pub index: Option<usize>,
    /// The object's `type`, when it has a readable one.
    pub object_type: Option<String>,
    /// The object's `id`, when it has a readable one.
    pub id: Option<String>,
    /// The property concerned, if one.
    pub property: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ObjectError {
    pub(crate) fn new(property: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            index: None,
            object_type: None,
            id: None,
            property: property.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.id, &self.object_type, self.index) {
            (Some(id), _, _) => f.write_str(id)?,
            (None, Some(t), Some(i)) => write!(f, "{t} object at index {i}")?,
            (None, Some(t), None) => write!(f, "{t} object")?,
            (None, None, Some(i)) => write!(f, "object at index {i}")?,
            (None, None, None) => f.write_str("object")?,
        }
        if let Some(property) = &self.property {
            write!(f, ": {property}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ObjectError {}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StixError {
    /// The input is not JSON, or not a JSON object where a bundle was expected.
    #[error("not a STIX bundle: {0}")]
    Json(String),
    /// The bundle's own properties are wrong.
    #[error("bundle: {property}: {message}")]
    Bundle {
        /// The property (`type`, `id`, `objects`).
        property: String,
        /// What is wrong.
        message: String,
    },
    /// One object is invalid (the first one found).
    #[error("{0}")]
    Object(Box<ObjectError>),
    /// Something given to export cannot be expressed (an unparsable stored date).
    #[error("export: {0}")]
    Export(String),
}

impl From<ObjectError> for StixError {
    fn from(error: ObjectError) -> Self {
        Self::Object(Box::new(error))
    }
}
