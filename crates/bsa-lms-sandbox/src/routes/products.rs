//! Loan products (REFERENCE §5.2): the unpaginated list.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::model::product::{Product, ProductOut};
use crate::state::App;

#[derive(Serialize)]
pub struct ProductList {
    items: Vec<ProductOut>,
}

pub async fn list(State(app): State<App>) -> Json<ProductList> {
    let store = app.store();
    Json(ProductList {
        items: store.products.iter().map(Product::render).collect(),
    })
}
