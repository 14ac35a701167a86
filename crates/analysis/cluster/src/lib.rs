//! Address clustering over the transfer graph (work in progress).
