//! Commands billing accepts and views it returns, one file per aggregate.

mod plan;

pub use plan::{PlanLimitsView, PlanView};
