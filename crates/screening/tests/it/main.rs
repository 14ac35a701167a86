//! Integration tests of chainward-screening, most of them on the real public data
//! (`CHAINWARD_SHARED_DATA`, default `../shared/data`).

mod ofac_xml;
mod real_lists;
mod tagpack;
