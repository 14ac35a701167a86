//! Integration tests of `chainward-stix`: parsing and validation of real-shaped bundles,
//! export → parse → import round trips on the real DPRK theft lists, and the official
//! stix2-validator run over an exported bundle.

mod common;
mod parse;
mod roundtrip;
mod validator;
