//! The in-memory state of one sandbox: the business data plus the test switches, behind one lock.
//!
//! Every request takes the lock once, does its (purely in-memory, synchronous) work and releases
//! it; nothing awaits while holding it, so a `std::sync::Mutex` serialises writes without
//! stalling the runtime even under hundreds of concurrent requests.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{NaiveDate, Utc};

use crate::auth::{Account, Keys};
use crate::config::Config;
use crate::credit::Scorecard;
use crate::faults::Faults;
use crate::model::customer::Customer;
use crate::model::loan::{Loan, RenderContext};
use crate::model::product::{self, Product};
use crate::model::transaction::TxShape;

/// Which step a rollback should stop after (`POST /_sandbox/rollback-stop`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RollbackStep {
    UndoDisbursal,
    UndoApproval,
}

impl RollbackStep {
    pub fn label(self) -> &'static str {
        match self {
            RollbackStep::UndoDisbursal => "undo-disbursal",
            RollbackStep::UndoApproval => "undo-approval",
        }
    }
}

/// Counters read by `GET /_sandbox/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    pub token_mints: u64,
    /// `"<METHOD> <route template>"` → requests received, faulted ones included.
    pub requests: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
struct Ids {
    customer: u64,
    loan: u64,
    transaction: u64,
}

pub struct Store {
    pub today_override: Option<NaiveDate>,
    pub token_lifetime_secs: u64,
    pub accounts: Vec<Account>,
    pub customers: BTreeMap<u64, Customer>,
    pub customer_ids_by_external: HashMap<String, u64>,
    pub products: Vec<Product>,
    pub loans: BTreeMap<u64, Loan>,
    pub loan_ids_by_external: HashMap<String, u64>,
    pub scorecards: HashMap<String, Scorecard>,
    /// Mobile number → business date of its last successful credit boost (cooldown).
    pub boosts: HashMap<String, NaiveDate>,
    pub faults: Faults,
    pub stats: Stats,
    /// Tokens whose sequence number is below this are revoked (`/_sandbox/tokens/expire`).
    pub revoked_below: u64,
    pub unauthorized_remaining: u64,
    pub rollback_stop: Option<RollbackStep>,
    pub tx_shape: TxShape,
    /// Behave like a deployment that ignores `idempotencyKey` (`/_sandbox/idempotency`).
    pub ignore_idempotency_keys: bool,
    ids: Ids,
}

impl Store {
    pub fn seed(config: &Config) -> Self {
        Store {
            today_override: config.today,
            token_lifetime_secs: config.token_lifetime_secs,
            accounts: crate::auth::seed_accounts(),
            customers: BTreeMap::new(),
            customer_ids_by_external: HashMap::new(),
            products: product::seed(),
            loans: BTreeMap::new(),
            loan_ids_by_external: HashMap::new(),
            scorecards: crate::credit::seed_scorecards(),
            boosts: HashMap::new(),
            faults: Faults::default(),
            stats: Stats::default(),
            revoked_below: 0,
            unauthorized_remaining: 0,
            rollback_stop: None,
            tx_shape: TxShape::default(),
            ignore_idempotency_keys: false,
            ids: Ids::default(),
        }
    }

    /// The business date: the admin/CLI override, else the current UTC date.
    pub fn today(&self) -> NaiveDate {
        self.today_override
            .unwrap_or_else(|| Utc::now().date_naive())
    }

    pub fn next_customer_id(&mut self) -> u64 {
        self.ids.customer += 1;
        self.ids.customer
    }

    pub fn next_loan_id(&mut self) -> u64 {
        self.ids.loan += 1;
        self.ids.loan
    }

    pub fn next_transaction_id(&mut self) -> u64 {
        self.ids.transaction += 1;
        self.ids.transaction
    }

    pub fn product(&self, id: u64) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    pub fn render_context(&self, loan: &Loan, with_history: bool) -> RenderContext<'_> {
        let customer_name = self
            .customers
            .get(&loan.customer_id)
            .map(Customer::display_name)
            .unwrap_or_default();
        let product = self.product(loan.product_id).unwrap_or(&self.products[0]);
        RenderContext {
            customer_name,
            product,
            shape: self.tx_shape,
            today: self.today(),
            with_history,
        }
    }
}

/// Everything a request handler can reach; cheap to clone.
#[derive(Clone)]
pub struct App(Arc<Shared>);

pub struct Shared {
    pub config: Config,
    pub keys: Keys,
    /// Sequence number of the next token. Never reset, so a token minted after `reset` can not
    /// collide with a revoked one.
    pub token_seq: AtomicU64,
    /// The secret of the `/_sandbox` routes (never reset).
    pub admin_token: String,
    store: Mutex<Store>,
}

impl App {
    pub fn new(config: Config) -> std::io::Result<Self> {
        let store = Mutex::new(Store::seed(&config));
        let admin_token = match &config.admin_token {
            Some(token) => token.clone(),
            None => random_token()?,
        };
        Ok(App(Arc::new(Shared {
            keys: Keys::sandbox(),
            token_seq: AtomicU64::new(1),
            admin_token,
            store,
            config,
        })))
    }

    pub fn shared(&self) -> &Shared {
        &self.0
    }

    /// Locks the store. Handlers check everything before they change anything (and restore
    /// a loan when a replay refuses a change), so a poisoned lock is taken over rather than
    /// failing every later request.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.0
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `POST /_sandbox/reset`: everything back to the startup seed.
    pub fn reset(&self) {
        *self.store() = Store::seed(&self.0.config);
    }
}

/// 128 bits from the OS, hex-encoded: unguessable by a web page or another local user.
fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
