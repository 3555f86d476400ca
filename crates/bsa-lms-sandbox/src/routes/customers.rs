//! Customers (REFERENCE §4): create, list, get, update, delete, close — both path forms.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ApiResult};
use crate::model::customer::{Customer, CustomerOut, CustomerStatus};
use crate::pagination::{Page, PageRequest};
use crate::request::{CustomerKey, Fields, JsonBody, Key, QueryParams, checked, parse_id};
use crate::state::{App, Store};

const ORDER_BY: &[&str] = &["id", "displayName", "submittedDate", "activationDate"];

/// Resolves a path key to a customer id, answering 404 for unknown ones.
pub fn resolve(store: &Store, key: &Key) -> ApiResult<u64> {
    match key {
        Key::Id(raw) => {
            let id = parse_id("customer_id", raw)?;
            store
                .customers
                .contains_key(&id)
                .then_some(id)
                .ok_or_else(|| ApiError::not_found(format!("Customer with id {id} does not exist")))
        }
        Key::External(ext) => store
            .customer_ids_by_external
            .get(ext)
            .copied()
            .ok_or_else(|| {
                ApiError::not_found(format!("Customer with externalId {ext} does not exist"))
            }),
    }
}

/// Stores a new customer; the caller has checked that the externalId is free.
pub fn insert(store: &mut Store, external_id: String, status: CustomerStatus) -> Customer {
    let id = store.next_customer_id();
    let today = store.today();
    let customer = Customer {
        id,
        external_id: external_id.clone(),
        status,
        submitted_on: today,
        activated_on: (status == CustomerStatus::Active).then_some(today),
    };
    store.customer_ids_by_external.insert(external_id, id);
    store.customers.insert(id, customer.clone());
    customer
}

pub fn duplicate(external_id: &str) -> ApiError {
    ApiError::aborted(format!(
        "Customer with externalId {external_id} already exists"
    ))
}

pub async fn create(
    State(app): State<App>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<CustomerOut>> {
    let mut f = Fields::new(&body);
    let external_id = f.external_id("externalId", true);
    f.finish()?;
    let external_id = checked(external_id)?;
    let mut store = app.store();
    if store.customer_ids_by_external.contains_key(&external_id) {
        return Err(duplicate(&external_id));
    }
    Ok(Json(
        insert(&mut store, external_id, CustomerStatus::Active).render(),
    ))
}

pub async fn list(
    State(app): State<App>,
    query: QueryParams,
) -> ApiResult<Json<Page<CustomerOut>>> {
    let page = PageRequest::parse(&query, Some(ORDER_BY))?;
    let store = app.store();
    let mut rows: Vec<&Customer> = match query.get("externalId") {
        // Point lookup: a miss is an empty page, not a 404.
        Some(ext) => store
            .customer_ids_by_external
            .get(ext)
            .and_then(|id| store.customers.get(id))
            .into_iter()
            .collect(),
        None => store.customers.values().collect(),
    };
    match page.order_by.as_deref() {
        Some("displayName") => rows.sort_by_key(|c| c.display_name()),
        Some("submittedDate") => rows.sort_by_key(|c| c.submitted_on),
        Some("activationDate") => rows.sort_by_key(|c| c.activated_on),
        _ => {} // by id: the map's own order
    }
    if page.descending {
        rows.reverse();
    }
    Ok(Json(
        page.slice(rows.into_iter().map(Customer::render).collect()),
    ))
}

pub async fn get(
    State(app): State<App>,
    CustomerKey(key): CustomerKey,
) -> ApiResult<Json<CustomerOut>> {
    let store = app.store();
    let id = resolve(&store, &key)?;
    Ok(Json(store.customers[&id].render()))
}

/// Renames the externalId, the only mutable attribute (§4.7).
pub async fn update(
    State(app): State<App>,
    CustomerKey(key): CustomerKey,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<CustomerOut>> {
    let mut store = app.store();
    let id = resolve(&store, &key)?;
    let mut f = Fields::new(&body);
    let new_external = f.external_id("externalId", true);
    f.finish()?;
    let new_external = checked(new_external)?;
    let old_external = store.customers[&id].external_id.clone();
    if new_external != old_external {
        if store.customer_ids_by_external.contains_key(&new_external) {
            return Err(duplicate(&new_external));
        }
        // The old externalId becomes free for another customer (§10 #20).
        store.customer_ids_by_external.remove(&old_external);
        store
            .customer_ids_by_external
            .insert(new_external.clone(), id);
        if let Some(c) = store.customers.get_mut(&id) {
            c.external_id = new_external;
        }
    }
    Ok(Json(store.customers[&id].render()))
}

/// Only pending customers without loans can be deleted (§4.8); the answer is 200, empty body.
pub async fn delete(State(app): State<App>, CustomerKey(key): CustomerKey) -> ApiResult<Response> {
    let mut store = app.store();
    let id = resolve(&store, &key)?;
    if store.customers[&id].status != CustomerStatus::Pending {
        return Err(ApiError::aborted(format!(
            "Customer {id} is not pending and cannot be deleted"
        )));
    }
    if store.loans.values().any(|l| l.customer_id == id) {
        return Err(ApiError::aborted(format!(
            "Customer {id} has loans and cannot be deleted"
        )));
    }
    if let Some(c) = store.customers.remove(&id) {
        store.customer_ids_by_external.remove(&c.external_id);
    }
    Ok(StatusCode::OK.into_response())
}

pub async fn close(
    State(app): State<App>,
    CustomerKey(key): CustomerKey,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<CustomerOut>> {
    let mut store = app.store();
    let id = resolve(&store, &key)?;
    let mut f = Fields::new(&body);
    let closure_date = f.date("closureDate", true);
    let _reason = f.integer("closureReasonId", true, 1..=i64::MAX);
    f.finish()?;
    let closure_date = checked(closure_date)?;
    let today = store.today();
    let customer = &store.customers[&id];
    match customer.status {
        CustomerStatus::Closed => {
            return Err(ApiError::aborted(format!(
                "Customer {id} is already closed"
            )));
        }
        CustomerStatus::Pending => {
            return Err(ApiError::aborted(format!(
                "Customer {id} is not active and cannot be closed"
            )));
        }
        CustomerStatus::Active => {}
    }
    let has_open_loans = store
        .loans
        .values()
        .filter(|l| l.customer_id == id)
        .any(|l| {
            let ledger = l.ledger(today);
            l.status(&ledger).is_open()
        });
    if has_open_loans {
        return Err(ApiError::aborted(format!(
            "Customer {id} has open loans and cannot be closed"
        )));
    }
    if closure_date > today {
        return Err(ApiError::permission_denied(
            "closureDate cannot be in the future",
        ));
    }
    if customer.activated_on.is_some_and(|a| closure_date < a) {
        return Err(ApiError::permission_denied(
            "closureDate cannot be before the activation date",
        ));
    }
    let customer = store.customers.get_mut(&id).expect("resolved above");
    customer.status = CustomerStatus::Closed;
    Ok(Json(customer.render()))
}
