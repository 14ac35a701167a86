//! Decoding of ethereum data into Chainward's ledger model. (Being built.)
