//! Credit scoring (REFERENCE §8): the scorecard and the multipart credit-limit boost.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;
use serde::Serialize;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::money::{self, Cents};
use crate::multipart;
use crate::request::{ExternalIdPath, read_body};
use crate::state::App;

/// What the HaloPesa engine holds for one externalId.
#[derive(Clone, Debug)]
pub struct Scorecard {
    pub external_id: String,
    pub grade: String,
    pub score: i64,
    pub limit: Cents,
}

/// Grade, score and limit of a customer the engine has not scored (§8.1).
const UNSCORED_GRADE: &str = "XX";
const UNSCORED_SCORE: i64 = 100;

/// What a valid, recent statement yields in the simulator, and the score it confers.
pub const BOOST_LIMIT: Cents = 4_500_000;
pub const BOOST_SCORE: i64 = 520;

const EXECUTION_PERIOD: &str = "0.01 seconds";

pub fn seed_scorecards() -> HashMap<String, Scorecard> {
    let seed = Scorecard {
        external_id: "partner-key-1779709585".to_owned(),
        grade: "C".to_owned(),
        score: 500,
        limit: 500_000,
    };
    HashMap::from([(seed.external_id.clone(), seed)])
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScorecardOut {
    external_id: String,
    halopesa_grade: String,
    final_credit_score: i64,
    final_credit_limit: f64,
    total_outstanding: f64,
    total_paid: f64,
    available_credit_limit: f64,
    execution_period: &'static str,
}

impl Scorecard {
    pub fn render_seed(&self) -> serde_json::Value {
        serde_json::json!({
            "externalId": self.external_id,
            "halopesaGrade": self.grade,
            "finalCreditScore": self.score,
            "finalCreditLimit": money::to_units(self.limit),
        })
    }
}

/// `GET /v1/credit-scorecard/{external_id}`: the engine's entry joined with loan balances.
pub async fn scorecard(
    State(app): State<App>,
    ExternalIdPath(external_id): ExternalIdPath,
) -> Json<ScorecardOut> {
    let store = app.store();
    let today = store.today();
    let (grade, score, limit) = match store.scorecards.get(&external_id) {
        Some(s) => (s.grade.clone(), s.score, s.limit),
        None => (UNSCORED_GRADE.to_owned(), UNSCORED_SCORE, 0),
    };
    let (mut outstanding, mut paid) = (0, 0);
    if let Some(customer_id) = store.customer_ids_by_external.get(&external_id) {
        for loan in store
            .loans
            .values()
            .filter(|l| l.customer_id == *customer_id)
        {
            let ledger = loan.ledger(today);
            if ledger.disbursed {
                let totals = ledger.totals();
                outstanding += totals.total_outstanding();
                paid += totals.total_paid();
            }
        }
    }
    Json(ScorecardOut {
        external_id,
        halopesa_grade: grade,
        final_credit_score: score,
        final_credit_limit: money::to_units(limit),
        total_outstanding: money::to_units(outstanding),
        total_paid: money::to_units(paid),
        // Any outstanding debt blocks new credit; there are no partial top-ups.
        available_credit_limit: if outstanding == 0 {
            money::to_units(limit)
        } else {
            0.0
        },
        execution_period: EXECUTION_PERIOD,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoostOut {
    mobile_number: u64,
    final_credit_score: i64,
    original_credit_limit: f64,
    manka_credit_limit: f64,
    final_credit_limit: f64,
    boost_status: &'static str,
    execution_period: &'static str,
}

/// `POST /v1/credit-boost` (multipart). Deterministic stand-in for the Manka engine:
/// a statement is accepted when `FullName` has at least two name parts; it yields a limit of
/// 45000; the limit rises (and the scorecard keyed by the mobile number follows) when that is
/// above the current one; one successful boost per number per business day (cooldown).
pub async fn boost(State(app): State<App>, req: Request) -> ApiResult<Json<BoostOut>> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let boundary = multipart::boundary(&content_type).ok_or_else(|| {
        ApiError::invalid_field(
            "Content-Type",
            "must be multipart/form-data with a boundary",
        )
    })?;
    let body = read_body(req.into_body()).await?;
    let parts = multipart::parse(&body, &boundary)
        .ok_or_else(|| ApiError::invalid_field("body", "malformed multipart/form-data body"))?;
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
    };
    let mut errors = Vec::new();
    let full_name = text("FullName").filter(|n| !n.is_empty());
    if full_name.is_none() {
        errors.push(FieldError::new("FullName", "required"));
    }
    let mobile = text("MobileNumber");
    match &mobile {
        None => errors.push(FieldError::new("MobileNumber", "required")),
        Some(m) if m.len() != 12 || !m.bytes().all(|b| b.is_ascii_digit()) => {
            errors.push(FieldError::new(
                "MobileNumber",
                "must be exactly 12 digits, e.g. 255762260621",
            ))
        }
        Some(_) => {}
    }
    match parts.iter().find(|p| p.name == "pdf_file") {
        None => errors.push(FieldError::new("pdf_file", "required")),
        Some(file) if !is_pdf(file) => {
            errors.push(FieldError::new("pdf_file", "must be a PDF file"))
        }
        Some(_) => {}
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let (full_name, mobile) = (full_name.unwrap_or_default(), mobile.unwrap_or_default());

    let mut store = app.store();
    let today = store.today();
    let current = store.scorecards.get(&mobile).cloned();
    let original_limit = current.as_ref().map_or(0, |s| s.limit);
    let original_score = current.as_ref().map_or(UNSCORED_SCORE, |s| s.score);
    let cooling_down = store.boosts.get(&mobile) == Some(&today);
    let name_matches = full_name.split_whitespace().count() >= 2;
    let manka_limit = if !cooling_down && name_matches {
        BOOST_LIMIT
    } else {
        0
    };
    let raised = manka_limit > original_limit;
    let (final_limit, final_score) = if raised {
        let score = original_score.max(BOOST_SCORE);
        let grade = current.map_or_else(|| "C".to_owned(), |s| s.grade);
        store.scorecards.insert(
            mobile.clone(),
            Scorecard {
                external_id: mobile.clone(),
                grade,
                score,
                limit: manka_limit,
            },
        );
        store.boosts.insert(mobile.clone(), today);
        (manka_limit, score)
    } else {
        (original_limit, original_score)
    };
    Ok(Json(BoostOut {
        mobile_number: mobile.parse().unwrap_or(0),
        final_credit_score: final_score,
        original_credit_limit: money::to_units(original_limit),
        manka_credit_limit: money::to_units(manka_limit),
        final_credit_limit: money::to_units(final_limit),
        boost_status: if raised { "YES" } else { "NO" },
        execution_period: EXECUTION_PERIOD,
    }))
}

/// A statement counts as a PDF by its name, its declared type or its magic bytes.
fn is_pdf(file: &multipart::Part) -> bool {
    file.filename
        .as_deref()
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".pdf"))
        || file
            .content_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("application/pdf"))
        || file.data.starts_with(b"%PDF-")
}
