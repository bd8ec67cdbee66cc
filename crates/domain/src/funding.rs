//! Funding rules (Förderung): rates by year, module and item, and what a position earns in a
//! year, pro rata by month.
//!
//! Rates are data, never constants in the code: the county enters them per year (the concept's
//! 55,000 EUR per FTE became 57,000 EUR in 2023 elsewhere). [`concept_rates`] are only the
//! defaults the demo data and a new database start with.
//!
//! The month rule: a month counts for a position when the position is in the phase in question
//! on the 15th of that month. A position staffed from 10 March counts March; from 20 March, not.
//!
//! One file on purpose (under 500 lines of rules, the rest their tests): the tests walk the month
//! rule through staffing histories, so rules and checks stand side by side.

use chrono::NaiveDate;

use crate::staffing::{Fte, Module, PositionFunction, StaffingPhase};

crate::vocabulary! {
    /// What a funding rate pays for (Fördergegenstand).
    pub enum FundingItem {
        /// Personalkosten: staff positions
        Staff => "staff",
        /// Verwaltungsassistenz: administrative assistance, where it has its own rate
        AdministrativeAssistance => "administrative_assistance",
        /// Sachkostenpauschale je Arbeitsplatz: material costs per workplace (module 1)
        MaterialCosts => "material_costs",
        /// Mittel für Veranstaltungen: events (module 1)
        Events => "events",
        /// Schnittstellenmanagement: interface management (module 1)
        InterfaceManagement => "interface_management",
    }
}

crate::vocabulary! {
    /// What a rate's amount refers to.
    pub enum RateBasis {
        /// per full-time equivalent and year
        PerFte => "per_fte",
        /// per half full-time equivalent and year (module 3, administrative assistance)
        PerHalfFte => "per_half_fte",
        /// per workplace (position) and year
        PerWorkplace => "per_workplace",
        /// a flat amount per year for the module
        PerYear => "per_year",
    }
}

/// One rate: `amount_cents` per `basis` for `item` of `module` in `year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub year: i32,
    pub module: Module,
    pub item: FundingItem,
    pub amount_cents: i64,
    pub basis: RateBasis,
}

/// Which bases fit which items: staff items are paid by FTE, material costs per workplace,
/// events and interface management as flat yearly sums.
pub fn check_basis(item: FundingItem, basis: RateBasis) -> Result<(), String> {
    let fits = match item {
        FundingItem::Staff | FundingItem::AdministrativeAssistance => {
            matches!(basis, RateBasis::PerFte | RateBasis::PerHalfFte)
        }
        FundingItem::MaterialCosts => basis == RateBasis::PerWorkplace,
        FundingItem::Events | FundingItem::InterfaceManagement => basis == RateBasis::PerYear,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("'{basis}' does not fit the item '{item}'"))
    }
}

/// The rate for `year`, or when that year has none, the latest earlier year's: funding rules
/// carry on until changed.
pub fn rate_for(rates: &[Rate], year: i32, module: Module, item: FundingItem) -> Option<Rate> {
    rates
        .iter()
        .filter(|r| r.module == module && r.item == item && r.year <= year)
        .max_by_key(|r| r.year)
        .copied()
}

/// The staff rate for a function: administrative assistance has its own where one is set.
pub fn staff_rate_for(rates: &[Rate], year: i32, function: PositionFunction) -> Option<Rate> {
    let module = function.module();
    if function == PositionFunction::AdministrativeAssistance {
        if let Some(rate) = rate_for(rates, year, module, FundingItem::AdministrativeAssistance) {
            return Some(rate);
        }
    }
    rate_for(rates, year, module, FundingItem::Staff)
}

/// The full-year amount of a rate for a position of `fte` (cents). Flat and per-workplace
/// rates do not depend on the FTE.
pub fn annual_cents(rate: &Rate, fte: Fte) -> i64 {
    match rate.basis {
        RateBasis::PerFte => divide_rounding(rate.amount_cents * fte.hundredths(), 100),
        RateBasis::PerHalfFte => divide_rounding(rate.amount_cents * fte.hundredths(), 50),
        RateBasis::PerWorkplace | RateBasis::PerYear => rate.amount_cents,
    }
}

/// `annual` for `months` of twelve, rounded to the cent (half away from zero).
pub fn pro_rata(annual_cents: i64, months: u32) -> i64 {
    divide_rounding(annual_cents * i64::from(months), 12)
}

fn divide_rounding(numerator: i64, denominator: i64) -> i64 {
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    }
}

/// A position's phases over time: `(effective_on, phase)`, oldest first; before the first entry
/// the position did not exist.
pub type PhaseHistory = [(NaiveDate, StaffingPhase)];

/// The phase on `day`, if the position existed then.
pub fn phase_on(history: &PhaseHistory, day: NaiveDate) -> Option<StaffingPhase> {
    history
        .iter()
        .take_while(|(since, _)| *since <= day)
        .last()
        .map(|(_, phase)| *phase)
}

/// Months of `year` whose 15th satisfies `counts`.
pub fn months_where(
    history: &PhaseHistory,
    year: i32,
    counts: impl Fn(StaffingPhase) -> bool,
) -> u32 {
    (1..=12)
        .filter_map(|month| NaiveDate::from_ymd_opt(year, month, 15))
        .filter(|day| phase_on(history, *day).is_some_and(&counts))
        .count() as u32
}

/// Months of `year` in which the position was staffed (onboarding, qualification, active):
/// funding is due for these.
pub fn months_staffed(history: &PhaseHistory, year: i32) -> u32 {
    months_where(history, year, StaffingPhase::is_staffed)
}

/// Months of `year` in which the position existed and had not ended: the plan assumes it
/// staffed for all of them.
pub fn months_planned(history: &PhaseHistory, year: i32) -> u32 {
    months_where(history, year, |phase| phase != StaffingPhase::Ended)
}

/// What one position means for one year's funding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PositionFunding {
    pub months_planned: u32,
    pub months_staffed: u32,
    /// Staff funding for a full year at the position's FTE.
    pub annual_staff_cents: i64,
    /// Staff funding if staffed in every planned month.
    pub planned_staff_cents: i64,
    /// Staff funding due for the months actually staffed.
    pub due_staff_cents: i64,
    /// Module 1 only: the material-cost rate per workplace, planned and due like staff.
    pub planned_material_cents: i64,
    pub due_material_cents: i64,
}

impl PositionFunding {
    pub fn planned_cents(&self) -> i64 {
        self.planned_staff_cents + self.planned_material_cents
    }

    pub fn due_cents(&self) -> i64 {
        self.due_staff_cents + self.due_material_cents
    }

    /// Due minus planned: negative when vacancies cost funding.
    pub fn difference_cents(&self) -> i64 {
        self.due_cents() - self.planned_cents()
    }
}

/// The funding of one position in `year`. Unfunded positions earn nothing; module-1
/// positions also earn the material-cost rate per workplace.
pub fn position_funding(
    rates: &[Rate],
    year: i32,
    function: PositionFunction,
    fte: Fte,
    funded: bool,
    history: &PhaseHistory,
) -> PositionFunding {
    let months_planned = months_planned(history, year);
    let months_staffed = months_staffed(history, year);
    if !funded {
        return PositionFunding {
            months_planned,
            months_staffed,
            ..Default::default()
        };
    }
    let annual_staff_cents = staff_rate_for(rates, year, function)
        .map(|r| annual_cents(&r, fte))
        .unwrap_or(0);
    let annual_material = if function.module() == Module::Module1 {
        rate_for(rates, year, Module::Module1, FundingItem::MaterialCosts)
            .map(|r| annual_cents(&r, fte))
            .unwrap_or(0)
    } else {
        0
    };
    PositionFunding {
        months_planned,
        months_staffed,
        annual_staff_cents,
        planned_staff_cents: pro_rata(annual_staff_cents, months_planned),
        due_staff_cents: pro_rata(annual_staff_cents, months_staffed),
        planned_material_cents: pro_rata(annual_material, months_planned),
        due_material_cents: pro_rata(annual_material, months_staffed),
    }
}

/// Flat yearly sums of a module (events, interface management), due in full for the year.
pub fn flat_items_cents(rates: &[Rate], year: i32, module: Module) -> Vec<(FundingItem, i64)> {
    [FundingItem::Events, FundingItem::InterfaceManagement]
        .into_iter()
        .filter_map(|item| rate_for(rates, year, module, item).map(|r| (item, r.amount_cents)))
        .collect()
}

/// The date a year's FTE figures refer to: the year's last day once it is over, today during
/// it, its first day before it begins.
pub fn reference_date(year: i32, today: NaiveDate) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today);
    today.clamp(first, last)
}

/// A position as the year's funding sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FundedPosition {
    pub id: i64,
    pub function: PositionFunction,
    pub fte: Fte,
    pub funded: bool,
    /// `(effective_on, phase)`, oldest first.
    pub history: Vec<(NaiveDate, StaffingPhase)>,
}

/// One position's line in the year's overview.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionLine {
    pub id: i64,
    /// The phase on the reference date (`None`: not yet created then).
    pub phase: Option<StaffingPhase>,
    pub funding: PositionFunding,
}

/// One funding item of a module: planned and due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemLine {
    pub item: FundingItem,
    pub planned_cents: i64,
    pub due_cents: i64,
}

/// A module's (or the total's) figures for the year.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// FTE of funded positions that exist and have not ended on the reference date.
    pub planned_fte: Fte,
    /// Of those, FTE in phase `active` on the reference date.
    pub filled_fte: Fte,
    /// Planned minus filled.
    pub vacant_fte: Fte,
    pub planned_cents: i64,
    pub due_cents: i64,
    pub items: Vec<ItemLine>,
}

impl Summary {
    pub fn difference_cents(&self) -> i64 {
        self.due_cents - self.planned_cents
    }

    fn add_item(&mut self, item: FundingItem, planned: i64, due: i64) {
        self.planned_cents += planned;
        self.due_cents += due;
        match self.items.iter_mut().find(|line| line.item == item) {
            Some(line) => {
                line.planned_cents += planned;
                line.due_cents += due;
            }
            None => self.items.push(ItemLine {
                item,
                planned_cents: planned,
                due_cents: due,
            }),
        }
    }
}

/// The year's funding: per position, per module and in total.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub year: i32,
    pub reference_date: NaiveDate,
    pub positions: Vec<PositionLine>,
    pub modules: Vec<(Module, Summary)>,
    pub total: Summary,
}

/// Computes the year's funding from the rates and the positions' histories.
pub fn overview(
    rates: &[Rate],
    year: i32,
    today: NaiveDate,
    positions: &[FundedPosition],
) -> Overview {
    let reference = reference_date(year, today);
    let mut modules: Vec<(Module, Summary)> = Module::ALL
        .iter()
        .map(|m| (*m, Summary::default()))
        .collect();
    let mut lines = Vec::with_capacity(positions.len());
    for position in positions {
        let funding = position_funding(
            rates,
            year,
            position.function,
            position.fte,
            position.funded,
            &position.history,
        );
        let phase = phase_on(&position.history, reference);
        let module = position.function.module();
        if let Some((_, summary)) = modules.iter_mut().find(|(m, _)| *m == module) {
            if position.funded && phase.is_some_and(|p| p != StaffingPhase::Ended) {
                summary.planned_fte = summary.planned_fte + position.fte;
                if phase == Some(StaffingPhase::Active) {
                    summary.filled_fte = summary.filled_fte + position.fte;
                }
            }
            let staff_item = match staff_rate_for(rates, year, position.function) {
                Some(rate) => rate.item,
                None => FundingItem::Staff,
            };
            if position.funded {
                summary.add_item(
                    staff_item,
                    funding.planned_staff_cents,
                    funding.due_staff_cents,
                );
                if module == Module::Module1
                    && (funding.planned_material_cents != 0 || funding.due_material_cents != 0)
                {
                    summary.add_item(
                        FundingItem::MaterialCosts,
                        funding.planned_material_cents,
                        funding.due_material_cents,
                    );
                }
            }
        }
        lines.push(PositionLine {
            id: position.id,
            phase,
            funding,
        });
    }
    let mut total = Summary::default();
    for (module, summary) in modules.iter_mut() {
        for (item, cents) in flat_items_cents(rates, year, *module) {
            summary.add_item(item, cents, cents);
        }
        summary.vacant_fte = summary.planned_fte - summary.filled_fte;
        total.planned_fte = total.planned_fte + summary.planned_fte;
        total.filled_fte = total.filled_fte + summary.filled_fte;
        for line in &summary.items {
            total.add_item(line.item, line.planned_cents, line.due_cents);
        }
    }
    total.vacant_fte = total.planned_fte - total.filled_fte;
    Overview {
        year,
        reference_date: reference,
        positions: lines,
        modules,
        total,
    }
}

/// Positions and their FTE of one module in one phase, as the yearly programme report shows
/// staffing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffingLine {
    pub module: Module,
    pub phase: StaffingPhase,
    pub positions: u32,
    pub fte: Fte,
}

/// Staffing on `day` (use [`reference_date`] for a year): positions per module and the phase
/// they were in that day, funded or not; positions not yet created then are left out. Ordered
/// by module, then phase in the order of the staffing path.
pub fn staffing_on(positions: &[FundedPosition], day: NaiveDate) -> Vec<StaffingLine> {
    let mut lines: Vec<StaffingLine> = Vec::new();
    for position in positions {
        let Some(phase) = phase_on(&position.history, day) else {
            continue;
        };
        let module = position.function.module();
        match lines
            .iter_mut()
            .find(|l| l.module == module && l.phase == phase)
        {
            Some(line) => {
                line.positions += 1;
                line.fte = line.fte + position.fte;
            }
            None => lines.push(StaffingLine {
                module,
                phase,
                positions: 1,
                fte: position.fte,
            }),
        }
    }
    let rank = |l: &StaffingLine| {
        (
            Module::ALL.iter().position(|m| *m == l.module),
            StaffingPhase::ALL.iter().position(|p| *p == l.phase),
        )
    };
    lines.sort_by_key(rank);
    lines
}

/// The rates of the concept (2020–2022) and the reported 2023 changes; the defaults a new
/// database is seeded with. Amounts in cents.
pub fn concept_rates() -> Vec<Rate> {
    use FundingItem::*;
    use Module::*;
    use RateBasis::*;
    let rate = |year, module, item, euros: i64, basis| Rate {
        year,
        module,
        item,
        amount_cents: euros * 100,
        basis,
    };
    vec![
        rate(2020, Module1, Staff, 55_000, PerFte),
        rate(2020, Module2, Staff, 55_000, PerFte),
        rate(2020, Module3, Staff, 25_000, PerHalfFte),
        rate(2023, Module1, Staff, 57_000, PerFte),
        rate(2023, Module2, Staff, 57_000, PerFte),
        rate(2023, Module1, AdministrativeAssistance, 22_500, PerHalfFte),
        rate(2023, Module1, MaterialCosts, 5_700, PerWorkplace),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use StaffingPhase::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const EUR: i64 = 100;

    #[test]
    fn the_concept_totals_hold() {
        let rates = concept_rates();
        let all_year = [(d(2020, 1, 1), Active)];
        let due = |function, fte: i64| {
            position_funding(
                &rates,
                2021,
                function,
                Fte::from_hundredths(fte),
                true,
                &all_year,
            )
            .due_cents()
        };
        // Module 2: 11 case-management positions at 55,000 EUR.
        let module_2: i64 = (0..11)
            .map(|_| due(PositionFunction::CaseManagement, 100))
            .sum();
        assert_eq!(module_2, 605_000 * EUR);
        // Module 1: 1.5 + 2 FTE coordination, 0.5 administrative assistance, 1 strategy position.
        let module_1 = due(PositionFunction::StrategicCoordination, 150)
            + due(PositionFunction::StrategicCoordination, 200)
            + due(PositionFunction::AdministrativeAssistance, 50)
            + due(PositionFunction::MunicipalStrategyPosition, 100);
        assert_eq!(module_1, 275_000 * EUR);
        // Module 3: 25,000 EUR per 0.5 FTE; 1 FTE immigration office, 0.5 naturalisation office.
        let module_3 = due(PositionFunction::ImmigrationOffice, 100)
            + due(PositionFunction::NaturalisationOffice, 50);
        assert_eq!(module_3, 75_000 * EUR);
        assert_eq!(module_1 + module_2 + module_3, 955_000 * EUR);
    }

    #[test]
    fn staffing_is_counted_per_module_and_phase_on_the_day() {
        let position =
            |id, function, fte, history: Vec<(NaiveDate, StaffingPhase)>| FundedPosition {
                id,
                function,
                fte: Fte::from_hundredths(fte),
                funded: true,
                history,
            };
        let positions = [
            position(
                1,
                PositionFunction::CaseManagement,
                100,
                vec![(d(2021, 1, 1), Active), (d(2022, 4, 1), Vacant)],
            ),
            position(
                2,
                PositionFunction::CaseManagement,
                50,
                vec![(d(2021, 1, 1), Active)],
            ),
            position(
                3,
                PositionFunction::StrategicCoordination,
                150,
                vec![(d(2021, 1, 1), Recruiting), (d(2021, 6, 1), Active)],
            ),
            // Created only in 2023: not part of 2022's staffing.
            position(
                4,
                PositionFunction::ImmigrationOffice,
                100,
                vec![(d(2023, 1, 1), Planned)],
            ),
        ];
        let line = |module, phase, positions, fte| StaffingLine {
            module,
            phase,
            positions,
            fte: Fte::from_hundredths(fte),
        };
        assert_eq!(
            staffing_on(&positions, d(2021, 12, 31)),
            vec![
                line(Module::Module1, Active, 1, 150),
                line(Module::Module2, Active, 2, 150),
            ]
        );
        assert_eq!(
            staffing_on(&positions, d(2022, 12, 31)),
            vec![
                line(Module::Module1, Active, 1, 150),
                line(Module::Module2, Active, 1, 50),
                line(Module::Module2, Vacant, 1, 100),
            ]
        );
        assert_eq!(
            staffing_on(&positions, d(2021, 3, 1))[0],
            line(Module::Module1, Recruiting, 1, 150)
        );
        assert!(staffing_on(&positions, d(2020, 1, 1)).is_empty());
    }

    #[test]
    fn rates_are_looked_up_by_year_with_the_latest_earlier_year_carrying_on() {
        let rates = concept_rates();
        let m2 = |year| {
            rate_for(&rates, year, Module::Module2, FundingItem::Staff).map(|r| r.amount_cents)
        };
        assert_eq!(m2(2019), None);
        assert_eq!(m2(2020), Some(55_000 * EUR));
        assert_eq!(m2(2022), Some(55_000 * EUR));
        assert_eq!(m2(2023), Some(57_000 * EUR));
        assert_eq!(m2(2026), Some(57_000 * EUR));
        // Administrative assistance has its own rate from 2023 on, the staff rate before.
        let assistance = |year| {
            staff_rate_for(&rates, year, PositionFunction::AdministrativeAssistance)
                .map(|r| (r.amount_cents, r.basis))
        };
        assert_eq!(assistance(2022), Some((55_000 * EUR, RateBasis::PerFte)));
        assert_eq!(
            assistance(2023),
            Some((22_500 * EUR, RateBasis::PerHalfFte))
        );
    }

    #[test]
    fn annual_amounts_by_basis() {
        let rate = |amount, basis| Rate {
            year: 2021,
            module: Module::Module1,
            item: FundingItem::Staff,
            amount_cents: amount,
            basis,
        };
        assert_eq!(
            annual_cents(
                &rate(55_000 * EUR, RateBasis::PerFte),
                Fte::from_hundredths(150)
            ),
            82_500 * EUR
        );
        assert_eq!(
            annual_cents(
                &rate(25_000 * EUR, RateBasis::PerHalfFte),
                Fte::from_hundredths(100)
            ),
            50_000 * EUR
        );
        assert_eq!(
            annual_cents(
                &rate(25_000 * EUR, RateBasis::PerHalfFte),
                Fte::from_hundredths(25)
            ),
            12_500 * EUR
        );
        assert_eq!(
            annual_cents(
                &rate(5_700 * EUR, RateBasis::PerWorkplace),
                Fte::from_hundredths(50)
            ),
            5_700 * EUR
        );
        assert_eq!(
            annual_cents(
                &rate(10_000 * EUR, RateBasis::PerYear),
                Fte::from_hundredths(300)
            ),
            10_000 * EUR
        );
        // Odd cents round half away from zero.
        assert_eq!(
            annual_cents(&rate(1, RateBasis::PerFte), Fte::from_hundredths(50)),
            1
        );
    }

    #[test]
    fn pro_rata_by_month_rounds_to_the_cent() {
        assert_eq!(pro_rata(55_000 * EUR, 12), 55_000 * EUR);
        assert_eq!(pro_rata(55_000 * EUR, 6), 27_500 * EUR);
        assert_eq!(pro_rata(55_000 * EUR, 0), 0);
        assert_eq!(pro_rata(100, 1), 8); // 8.33 → 8
        assert_eq!(pro_rata(100, 5), 42); // 41.67 → 42
        assert_eq!(pro_rata(-100, 5), -42);
    }

    #[test]
    fn a_month_counts_when_the_phase_holds_on_its_15th() {
        let history = [
            (d(2021, 3, 10), Recruiting),
            (d(2021, 5, 15), Onboarding),
            (d(2021, 9, 16), Active),
            (d(2021, 11, 1), Vacant),
        ];
        // Staffed on the 15th of May, June, July, August; September's 15th is still onboarding;
        // October active; November vacant.
        assert_eq!(months_staffed(&history, 2021), 6);
        // Exists from March on (the 15th of March is after the 10th).
        assert_eq!(months_planned(&history, 2021), 10);
        assert_eq!(months_staffed(&history, 2020), 0);
        assert_eq!(months_planned(&history, 2022), 12);
        assert_eq!(phase_on(&history, d(2021, 3, 9)), None);
        assert_eq!(phase_on(&history, d(2021, 3, 10)), Some(Recruiting));
    }

    #[test]
    fn ended_positions_leave_the_plan() {
        let history = [(d(2020, 1, 1), Active), (d(2021, 7, 1), Ended)];
        assert_eq!(months_planned(&history, 2021), 6);
        assert_eq!(months_staffed(&history, 2021), 6);
        assert_eq!(months_planned(&history, 2022), 0);
    }

    #[test]
    fn a_vacancy_shows_as_a_difference_to_the_plan() {
        let rates = concept_rates();
        let history = [
            (d(2020, 6, 1), Active),
            (d(2021, 4, 1), Vacant),
            (d(2021, 7, 1), Recruiting),
            (d(2021, 10, 1), Onboarding),
        ];
        let f = position_funding(
            &rates,
            2021,
            PositionFunction::CaseManagement,
            Fte::FULL,
            true,
            &history,
        );
        assert_eq!((f.months_planned, f.months_staffed), (12, 6)); // Jan-Mar, Oct-Dec
        assert_eq!(f.planned_cents(), 55_000 * EUR);
        assert_eq!(f.due_cents(), 27_500 * EUR);
        assert_eq!(f.difference_cents(), -27_500 * EUR);
    }

    #[test]
    fn unfunded_positions_earn_nothing_and_module_1_earns_material_costs() {
        let rates = concept_rates();
        let all_year = [(d(2020, 1, 1), Active)];
        let unfunded = position_funding(
            &rates,
            2021,
            PositionFunction::CaseManagement,
            Fte::FULL,
            false,
            &all_year,
        );
        assert_eq!(
            (
                unfunded.due_cents(),
                unfunded.planned_cents(),
                unfunded.months_staffed
            ),
            (0, 0, 12)
        );
        let coordination = position_funding(
            &rates,
            2023,
            PositionFunction::StrategicCoordination,
            Fte::FULL,
            true,
            &all_year,
        );
        assert_eq!(coordination.annual_staff_cents, 57_000 * EUR);
        assert_eq!(coordination.due_cents(), (57_000 + 5_700) * EUR);
        assert_eq!(
            (
                coordination.due_staff_cents,
                coordination.due_material_cents
            ),
            (57_000 * EUR, 5_700 * EUR)
        );
        let case_management = position_funding(
            &rates,
            2023,
            PositionFunction::CaseManagement,
            Fte::FULL,
            true,
            &all_year,
        );
        assert_eq!(case_management.due_cents(), 57_000 * EUR);
    }

    #[test]
    fn flat_items_and_bases() {
        let mut rates = concept_rates();
        rates.push(Rate {
            year: 2021,
            module: Module::Module1,
            item: FundingItem::Events,
            amount_cents: 10_000 * EUR,
            basis: RateBasis::PerYear,
        });
        assert_eq!(
            flat_items_cents(&rates, 2021, Module::Module1),
            vec![(FundingItem::Events, 10_000 * EUR)]
        );
        assert!(flat_items_cents(&rates, 2020, Module::Module1).is_empty());
        assert!(check_basis(FundingItem::Staff, RateBasis::PerFte).is_ok());
        assert!(check_basis(FundingItem::Staff, RateBasis::PerYear).is_err());
        assert!(check_basis(FundingItem::MaterialCosts, RateBasis::PerWorkplace).is_ok());
        assert!(check_basis(FundingItem::Events, RateBasis::PerFte).is_err());
    }

    #[test]
    fn overview_sums_modules_and_items() {
        let mut rates = concept_rates();
        rates.push(Rate {
            year: 2021,
            module: Module::Module1,
            item: FundingItem::Events,
            amount_cents: 10_000 * EUR,
            basis: RateBasis::PerYear,
        });
        let position =
            |id, function, fte, funded, history: Vec<(NaiveDate, StaffingPhase)>| FundedPosition {
                id,
                function,
                fte: Fte::from_hundredths(fte),
                funded,
                history,
            };
        let positions = vec![
            position(
                1,
                PositionFunction::StrategicCoordination,
                150,
                true,
                vec![(d(2020, 1, 1), Active)],
            ),
            position(
                2,
                PositionFunction::CaseManagement,
                100,
                true,
                vec![(d(2020, 1, 1), Active), (d(2021, 7, 1), Vacant)],
            ),
            position(
                3,
                PositionFunction::CaseManagement,
                100,
                false,
                vec![(d(2020, 1, 1), Active)],
            ),
            position(
                4,
                PositionFunction::ImmigrationOffice,
                50,
                true,
                vec![(d(2021, 1, 1), Recruiting)],
            ),
            position(
                5,
                PositionFunction::CaseManagement,
                100,
                true,
                vec![(d(2022, 1, 1), Planned)],
            ),
        ];
        let o = overview(&rates, 2021, d(2026, 11, 25), &positions);
        assert_eq!(o.reference_date, d(2021, 12, 31));
        let module = |m| {
            o.modules
                .iter()
                .find(|(x, _)| *x == m)
                .map(|(_, s)| s.clone())
                .unwrap()
        };
        let m1 = module(Module::Module1);
        assert_eq!(
            (m1.planned_fte, m1.filled_fte, m1.vacant_fte),
            (
                Fte::from_hundredths(150),
                Fte::from_hundredths(150),
                Fte::ZERO
            )
        );
        assert_eq!(m1.due_cents, (82_500 + 10_000) * EUR);
        assert_eq!(m1.items.len(), 2);
        let m2 = module(Module::Module2);
        // The unfunded position and the one created in 2022 count for nothing in 2021.
        assert_eq!(
            (m2.planned_fte, m2.filled_fte, m2.vacant_fte),
            (Fte::FULL, Fte::ZERO, Fte::FULL)
        );
        assert_eq!(
            (m2.planned_cents, m2.due_cents, m2.difference_cents()),
            (55_000 * EUR, 27_500 * EUR, -27_500 * EUR)
        );
        let m3 = module(Module::Module3);
        assert_eq!((m3.planned_cents, m3.due_cents), (25_000 * EUR, 0));
        assert_eq!(
            o.total.due_cents,
            m1.due_cents + m2.due_cents + m3.due_cents
        );
        assert_eq!(o.total.planned_fte, Fte::from_hundredths(300));
        assert_eq!(
            o.positions.iter().find(|l| l.id == 5).map(|l| l.phase),
            Some(None),
            "not yet created"
        );
        assert_eq!(
            o.positions.iter().find(|l| l.id == 2).map(|l| l.phase),
            Some(Some(Vacant))
        );
    }

    #[test]
    fn reference_dates() {
        let today = d(2026, 11, 25);
        assert_eq!(reference_date(2021, today), d(2021, 12, 31));
        assert_eq!(reference_date(2026, today), today);
        assert_eq!(reference_date(2027, today), d(2027, 1, 1));
    }
}
