//! Must not compile once getCreditScorecard is removed from the spec.
#[allow(dead_code)]
async fn probe(client: bsa_lms::Client) {
    let _ = client.get_credit_scorecard().external_id("x").send().await;
}

fn main() {}
