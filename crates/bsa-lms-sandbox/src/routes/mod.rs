//! The `/v1` API routes and the router that ties them to the admin surface.

pub mod customers;
pub mod loans;
pub mod products;
pub mod transactions;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::state::App;
use crate::{admin, auth, credit, gate};

/// Both addressing forms of a loan (§3.2); every loan-scoped route exists under each.
const LOAN_PREFIXES: [&str; 2] = [
    "/v1/loans/{loan_id}",
    "/v1/loans/external/{loan_external_id}",
];
const CUSTOMER_PREFIXES: [&str; 2] = [
    "/v1/customers/{customer_id}",
    "/v1/customers/external/{customer_external_id}",
];

pub fn router(app: App) -> Router {
    let mut v1 = Router::new()
        .route(gate::TOKEN_ROUTE, get(auth::mint_token))
        .route(
            "/v1/customers",
            get(customers::list).post(customers::create),
        )
        .route("/v1/loan-products", get(products::list))
        .route("/v1/loans", get(loans::list).post(loans::create))
        // LMS-id form only (§3.2): update and write-off.
        .route(
            "/v1/loans/{loan_id}",
            get(loans::get).put(loans::update).delete(loans::delete),
        )
        .route(
            "/v1/loans/external/{loan_external_id}",
            get(loans::get).delete(loans::delete),
        )
        .route("/v1/loans/{loan_id}/writeoff", post(loans::write_off))
        .route("/v1/credit-scorecard/{external_id}", get(credit::scorecard))
        .route("/v1/credit-boost", post(credit::boost));
    for prefix in CUSTOMER_PREFIXES {
        v1 = v1
            .route(
                prefix,
                get(customers::get)
                    .put(customers::update)
                    .delete(customers::delete),
            )
            .route(&format!("{prefix}/close"), post(customers::close));
    }
    for prefix in LOAN_PREFIXES {
        let r = |suffix: &str| format!("{prefix}{suffix}");
        v1 = v1
            .route(&r("/undo-disbursal"), post(loans::undo_disbursal))
            .route(&r("/undo-approval"), post(loans::undo_approval))
            .route(
                &r("/adjust-disbursement-date"),
                post(loans::adjust_disbursement_date),
            )
            .route(&r("/rollback"), post(loans::rollback))
            .route(
                &r("/repayments"),
                get(transactions::list).post(transactions::repay),
            )
            .route(
                &r("/repayments/waive-interest"),
                post(transactions::waive_interest),
            )
            .route(&r("/repayments/recover"), post(transactions::recover))
            .route(&r("/repayments/refund"), post(transactions::refund))
            .route(
                &r("/repayments/credit-balance-refund"),
                post(transactions::credit_balance_refund),
            )
            .route(&r("/repayments/charge-off"), post(transactions::charge_off))
            .route(&r("/repayments/{transaction_id}"), get(transactions::get))
            .route(
                &r("/repayments/{transaction_id}/adjust"),
                post(transactions::adjust),
            )
            .route(
                &r("/repayments/{transaction_id}/reverse"),
                post(transactions::reverse),
            );
    }
    let v1 = v1.route_layer(from_fn_with_state(app.clone(), gate::gate));

    Router::new()
        .merge(v1)
        .merge(admin::router(&app))
        .fallback(not_found)
        // After every route is added: it applies to the routes present at this point.
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

async fn not_found(req: Request) -> ApiError {
    ApiError::not_found(format!(
        "no route for {} {}",
        req.method(),
        req.uri().path()
    ))
}

/// 405 with the envelope; axum keeps adding the `Allow` header.
async fn method_not_allowed(req: Request) -> Response {
    let err = ApiError::lms(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "method {} is not allowed on {}",
            req.method(),
            req.uri().path()
        ),
    );
    err.into_response()
}
