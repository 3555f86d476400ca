//! Node binding (being written).
