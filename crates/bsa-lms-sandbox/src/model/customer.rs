//! Customers (REFERENCE §4.1).

use chrono::NaiveDate;
use serde::Serialize;

use crate::dates;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerStatus {
    Pending,
    Active,
    Closed,
}

impl CustomerStatus {
    pub fn label(self) -> &'static str {
        match self {
            CustomerStatus::Pending => "Pending",
            CustomerStatus::Active => "Active",
            CustomerStatus::Closed => "Closed",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Customer {
    pub id: u64,
    pub external_id: String,
    pub status: CustomerStatus,
    pub submitted_on: NaiveDate,
    pub activated_on: Option<NaiveDate>,
}

/// The LMS needs a last name for person records; the API fills in this placeholder.
const LASTNAME: &str = "Customer";

pub fn account_no(id: u64) -> String {
    format!("{id:09}")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerOut {
    id: String,
    account_no: String,
    external_id: String,
    status: &'static str,
    active: bool,
    office_id: &'static str,
    office_name: &'static str,
    firstname: String,
    lastname: &'static str,
    display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    activation_date: Option<String>,
    submitted_date: String,
}

impl Customer {
    /// `"<externalId> Customer"`: the LMS computes it from firstname = externalId.
    pub fn display_name(&self) -> String {
        format!("{} {LASTNAME}", self.external_id)
    }

    pub fn render(&self) -> CustomerOut {
        CustomerOut {
            id: self.id.to_string(),
            account_no: account_no(self.id),
            external_id: self.external_id.clone(),
            status: self.status.label(),
            active: self.status == CustomerStatus::Active,
            office_id: "1",
            office_name: "Head Office",
            firstname: self.external_id.clone(),
            lastname: LASTNAME,
            display_name: self.display_name(),
            activation_date: self.activated_on.map(dates::format),
            submitted_date: dates::format(self.submitted_on),
        }
    }
}
