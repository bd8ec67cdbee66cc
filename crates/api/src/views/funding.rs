//! The funding figures (Förderung) of the programme as the API shows them, and what computing
//! them reads from the store; the funding routes and the programme report both show them.

use kim_domain::funding::{FundedPosition, FundingItem, Rate, Summary};
use kim_domain::staffing::Module;
use kim_store::funding_rates;
use kim_store::positions;
use kim_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// One funding item of a module.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemFunding {
    pub item: FundingItem,
    /// If every planned position were staffed in every month it exists (euro cents).
    pub planned_cents: i64,
    /// For the months actually staffed (euro cents).
    pub due_cents: i64,
}

/// Figures of a module, or of all modules together, for the year.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundingFigures {
    /// FTE of funded positions that exist and have not ended on the reference date.
    pub planned_fte: f64,
    /// FTE of those in phase `active` on the reference date.
    pub filled_fte: f64,
    /// Planned minus filled.
    pub vacant_fte: f64,
    /// Funding if every planned position were staffed in every month (euro cents).
    pub planned_cents: i64,
    /// Funding due for the months staffed, pro rata by month (euro cents).
    pub due_cents: i64,
    /// Due minus planned; negative when vacancies cost funding (euro cents).
    pub difference_cents: i64,
    pub items: Vec<ItemFunding>,
}

impl From<&Summary> for FundingFigures {
    fn from(s: &Summary) -> Self {
        FundingFigures {
            planned_fte: s.planned_fte.as_decimal(),
            filled_fte: s.filled_fte.as_decimal(),
            vacant_fte: s.vacant_fte.as_decimal(),
            planned_cents: s.planned_cents,
            due_cents: s.due_cents,
            difference_cents: s.difference_cents(),
            items: s
                .items
                .iter()
                .map(|l| ItemFunding {
                    item: l.item,
                    planned_cents: l.planned_cents,
                    due_cents: l.due_cents,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModuleFunding {
    pub module: Module,
    #[serde(flatten)]
    pub figures: FundingFigures,
}

/// What the year's funding is computed from: the rates, and every position (with its phase
/// history as the funding rules see it).
pub(crate) struct FundingInputs {
    pub rates: Vec<Rate>,
    pub positions: Vec<positions::Position>,
    pub funded: Vec<FundedPosition>,
}

pub(crate) fn funding_inputs(conn: &mut kim_store::DbConn) -> Result<FundingInputs, StoreError> {
    let rates = funding_rates::all(conn)?;
    let all = positions::all(conn)?;
    let mut histories = positions::phase_histories(conn)?;
    let funded = all
        .iter()
        .map(|p| FundedPosition {
            id: p.id,
            function: p.data.function,
            fte: p.data.fte,
            funded: p.data.funded,
            history: histories.remove(&p.id).unwrap_or_default(),
        })
        .collect();
    Ok(FundingInputs {
        rates,
        positions: all,
        funded,
    })
}
