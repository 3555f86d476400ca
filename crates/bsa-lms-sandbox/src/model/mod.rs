//! The records the simulator stores, and their JSON renderings.

pub mod customer;
pub mod loan;
pub mod product;
pub mod transaction;
