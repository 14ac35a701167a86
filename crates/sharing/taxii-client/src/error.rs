//! Errors: which request failed, how, and what the server said.

use crate::resources::ErrorBody;
use std::fmt;

/// What went wrong talking to a TAXII server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaxiiError {
    /// The server answered with an error status. `error` is its TAXII `error` resource when it
    /// sent one (title, description, http_status…); `body` is the start of the body otherwise
    /// (medallion answers 401 with HTML).
    #[error("{method} {url}: HTTP {status}{}", ShowBody(error.as_deref(), body))]
    Http {
        /// The method.
        method: String,
        /// The URL (without credentials).
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's TAXII error resource, if it sent one.
        error: Option<Box<ErrorBody>>,
        /// The first bytes of a body that was not a TAXII error (empty otherwise).
        body: String,
    },
    /// The request did not get an answer (connection refused or reset, timeout, TLS), after
    /// the retries.
    #[error("{method} {url}: {message}")]
    Transport {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What happened.
        message: String,
        /// Whether it was the request timeout.
        timed_out: bool,
    },
    /// The answer was not the TAXII resource expected.
    #[error("{url}: not a TAXII {resource}: {message}")]
    Decode {
        /// The URL.
        url: String,
        /// The resource expected (`envelope`, `status`…).
        resource: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A URL could not be built (bad base URL, collection id).
    #[error("bad URL: {0}")]
    Url(String),
    /// A status stayed `pending` longer than the client waits.
    #[error("status {status_id} still pending after {polls} polls ({pending} objects pending)")]
    StatusPending {
        /// The status id.
        status_id: String,
        /// How many times it was read.
        polls: u32,
        /// Objects still pending.
        pending: u64,
    },
    /// One object is larger than the server's `max_content_length` on its own.
    #[error("object {id} is {size} bytes, more than the API root's max_content_length {max}")]
    ObjectTooLarge {
        /// The object's id.
        id: String,
        /// Its size in an envelope.
        size: usize,
        /// The limit.
        max: u64,
    },
    /// Paging did not end within the client's page budget (a server that keeps answering
    /// `more: true`).
    #[error("{url}: paging stopped after {pages} pages (more: true every time)")]
    TooManyPages {
        /// The URL.
        url: String,
        /// Pages read.
        pages: u32,
    },
    /// A blocking wrapper could not start its runtime.
    #[error("runtime: {0}")]
    Runtime(String),
}

impl TaxiiError {
    /// The HTTP status, when the server answered with an error.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's TAXII error resource, when it sent one.
    pub fn server_error(&self) -> Option<&ErrorBody> {
        match self {
            Self::Http { error, .. } => error.as_deref(),
            _ => None,
        }
    }
}

struct ShowBody<'a>(Option<&'a ErrorBody>, &'a String);

impl fmt::Display for ShowBody<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(error) => {
                write!(f, ": {}", error.title)?;
                if let Some(description) = &error.description {
                    write!(f, ": {description}")?;
                }
                Ok(())
            }
            None if self.1.trim().is_empty() => Ok(()),
            None => write!(f, ": {}", self.1.trim()),
        }
    }
}
