//! The typescript surface of the SDK, generated from [`crate::spec::Api`].

use crate::Output;
use crate::spec::Api;

pub fn generate(_api: &Api) -> Vec<Output> {
    Vec::new()
}
