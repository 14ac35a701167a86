//! Decoding of bitcoin data into Chainward's ledger model. (Being built.)
